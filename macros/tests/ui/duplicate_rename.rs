#[derive(redtyped::ToHash, redtyped::FromHash)]
struct User {
    #[redis(rename = "n")]
    name: String,
    #[redis(rename = "n")]
    nickname: String,
    #[redis(rename = "a", rename = "b")]
    age: u32,
}

#[derive(redtyped::ValueEnum)]
#[redis(rename_all = "lowercase")]
enum Color {
    Red,
    #[redis(rename = "red")]
    Crimson,
}

fn main() {}
