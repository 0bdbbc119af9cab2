#[derive(redtyped::ToHash, redtyped::FromHash)]
#[redis(rename_al = "camelCase")]
struct User {
    #[redis(renam = "n")]
    name: String,
    #[redis(skip_serializing, rename = "a")]
    age: u32,
}

#[derive(redtyped::ToHash)]
#[redis(rename_all = "camel")]
struct Session {
    id: String,
}

fn main() {}
