// HGETALL replies with a map: it decodes into map types, not a String.
async fn demo(client: redtyped::Client) -> redtyped::Result<()> {
    let all: String = client.hgetall("h").await?;
    let _ = all;
    Ok(())
}

fn main() {
    let _ = demo;
}
