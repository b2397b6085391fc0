//! Prints the catalog as JSON (`cargo run -p wxpay-terminate --features schema --example catalog_json`),
//! the input of the bindings' stub generators.

fn main() {
    println!("{:#}", wxpay_terminate::catalog_json());
}
