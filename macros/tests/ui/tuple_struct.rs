#[derive(redtyped::ToHash, redtyped::FromHash)]
struct Point(i64, i64);

#[derive(redtyped::ToHash)]
struct Nothing;

fn main() {}
