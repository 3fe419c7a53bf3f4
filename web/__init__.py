"""Cross-cutting web pieces shared by every front end: headers, assets, errors, 长辈版, PWA files."""
