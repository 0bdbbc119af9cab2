// SET … NX replies with a bool; SET … GET with the old value. A plain SET has neither.
async fn demo(client: redtyped::Client) -> redtyped::Result<()> {
    let created: bool = client.set("k", "v").await?;
    let _ = created;
    Ok(())
}

fn main() {
    let _ = demo;
}
