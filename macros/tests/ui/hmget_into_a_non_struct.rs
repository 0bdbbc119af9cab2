async fn demo(client: redtyped::Client) -> redtyped::Result<()> {
    let name: String = client.send(redtyped::hash::hmget("user:1")).await?;
    let _ = name;
    Ok(())
}

fn main() {}
