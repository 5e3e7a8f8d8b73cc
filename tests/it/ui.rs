use orm_tests::test_case;

test_case! {
    fn derive_errors() {
        let t = trybuild::TestCases::new();
        t.compile_fail("ui/*.rs");
    }
}
