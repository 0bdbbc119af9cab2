struct Connection;

#[derive(redtyped::ToHash, redtyped::FromHash)]
struct Session {
    id: String,
    #[redis(skip)]
    connection: Connection,
}

fn main() {}
