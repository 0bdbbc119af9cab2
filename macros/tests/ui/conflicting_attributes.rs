#[derive(Default, redtyped::ToHash, redtyped::FromHash)]
struct Address {
    city: String,
}

mod codec {
    pub fn encode(v: &u32) -> String {
        v.to_string()
    }
    pub fn decode(b: &[u8]) -> Result<u32, std::num::ParseIntError> {
        std::str::from_utf8(b).unwrap_or("").parse()
    }
}

#[derive(redtyped::ToHash, redtyped::FromHash)]
struct User {
    #[redis(skip, rename = "x")]
    cache: String,
    #[redis(json, with = codec)]
    age: u32,
    #[redis(flatten, rename = "home", default)]
    home: Address,
    #[redis(prefix = "p.")]
    name: String,
}

fn main() {}
