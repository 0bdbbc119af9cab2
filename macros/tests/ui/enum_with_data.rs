#[derive(redtyped::ValueEnum)]
enum Shape {
    Dot,
    Circle { radius: f64 },
    Square(f64),
}

#[derive(redtyped::FromHash)]
enum Plan {
    Free,
}

fn main() {}
