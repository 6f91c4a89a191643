//! The operator docs name every parameter the code accepts.

use agent_stack_config::keys::PARAMETERS;

#[test]
fn parameters_md_documents_every_key() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/parameters.md");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let missing: Vec<&str> = PARAMETERS.iter().map(|p| p.name).filter(|n| !text.contains(&format!("`{n}`"))).collect();
    assert!(missing.is_empty(), "docs/parameters.md does not document {missing:?}");
}
