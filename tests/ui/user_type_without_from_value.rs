// User data decodes into FromValue types only.
struct NotDecodable;

async fn demo(client: redtyped::Client) -> redtyped::Result<()> {
    let v: Option<NotDecodable> = client.get("k").await?;
    let _ = v;
    Ok(())
}

fn main() {
    let _ = demo;
}
