// LRANGE has no WITHSCORES option: the builder method does not exist.
async fn demo(client: redtyped::Client) -> redtyped::Result<()> {
    let items: Vec<String> = client.lrange("l", 0, -1).withscores().await?;
    let _ = items;
    Ok(())
}

fn main() {
    let _ = demo;
}
