#[test]
fn derive_errors() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/*.rs");
}
