// INCR replies with an integer: asking for a String does not compile.
async fn demo(client: redtyped::Client) -> redtyped::Result<()> {
    let n: String = client.incr("n").await?;
    let _ = n;
    Ok(())
}

fn main() {
    let _ = demo;
}
