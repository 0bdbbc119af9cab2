use std::collections::HashMap;

#[derive(redtyped::ToHash, redtyped::FromHash)]
struct User {
    name: String,
    tags: Vec<String>,
    scores: HashMap<String, u32>,
}

fn main() {}
