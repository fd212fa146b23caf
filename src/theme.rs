//! A theme: Tera templates plus static files. The site's own
//! `themes/<name>/` is used when present, else the default theme built into
//! the binary, so any folder of post-mortems builds on its own.

use std::path::{Path, PathBuf};

use include_dir::{include_dir, Dir};
use serde::Serialize;
use tera::{Context, Tera};
use thiserror::Error;

static BUILT_IN: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/themes/default");

#[derive(Debug, Error)]
pub enum ThemeError {
    #[error("cannot read theme file {path}: {reason}")]
    Read {
        path: PathBuf,
        reason: std::io::Error,
    },
    #[error("there is no theme at {dir}; create it, or set `theme = \"default\"` in site.toml")]
    Missing { dir: PathBuf },
    #[error("theme file {path} is not UTF-8")]
    NotUtf8 { path: PathBuf },
    #[error("template error in theme {theme}: {message}")]
    Template { theme: String, message: String },
    #[error("rendering {template} for {page}: {message}")]
    Render {
        template: String,
        page: String,
        message: String,
    },
}

/// A file of the theme's `static/` folder, copied to the site root.
#[derive(Debug, Clone)]
pub struct StaticFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

pub struct Theme {
    /// Where the theme came from, for messages.
    pub origin: String,
    tera: Tera,
    templates: Vec<String>,
    pub static_files: Vec<StaticFile>,
}

impl Theme {
    /// Loads `ROOT/themes/<name>` or, when it does not exist and `name` is
    /// `default`, the built-in default theme. The site's own `ROOT/static/`
    /// files (a `CNAME`, a logo) are copied too, over the theme's.
    pub fn load(root: &Path, name: &str) -> Result<Theme, ThemeError> {
        let mut theme = Theme::load_theme(root, name)?;
        for (path, bytes, _) in read_tree(&root.join("static"))? {
            theme.static_files.retain(|f| f.path != path);
            theme.static_files.push(StaticFile { path, bytes });
        }
        Ok(theme)
    }

    /// The default theme built into the binary.
    pub fn built_in() -> Theme {
        let (templates, static_files) = built_in_parts();
        Theme::from_parts("built-in default".into(), templates, static_files)
            .expect("the built-in theme is valid")
    }

    fn load_theme(root: &Path, name: &str) -> Result<Theme, ThemeError> {
        let dir = root.join("themes").join(name);
        if dir.is_dir() {
            let (templates, static_files) = read_dir_theme(&dir)?;
            Theme::from_parts(dir.display().to_string(), templates, static_files)
        } else if name == "default" {
            let (templates, static_files) = built_in_parts();
            Theme::from_parts("built-in default".into(), templates, static_files)
        } else {
            Err(ThemeError::Missing { dir })
        }
    }

    fn from_parts(
        origin: String,
        templates: Vec<(String, String)>,
        static_files: Vec<StaticFile>,
    ) -> Result<Theme, ThemeError> {
        let mut tera = Tera::new();
        // Tera 2 needs filters registered before templates that use them.
        tera.register_filter("minutes", |m: i64, _: tera::Kwargs, _: &tera::State| {
            crate::dates::format_minutes(m)
        });
        let names = templates.iter().map(|(name, _)| name.clone()).collect();
        tera.add_raw_templates(templates)
            .map_err(|e| ThemeError::Template {
                theme: origin.clone(),
                message: error_chain(&e),
            })?;
        Ok(Theme {
            origin,
            tera,
            templates: names,
            static_files,
        })
    }

    /// Whether the theme has `template`; optional pages are made only then.
    pub fn has_template(&self, template: &str) -> bool {
        self.templates.iter().any(|t| t == template)
    }

    /// Renders `template` with `context`; `page` names the output in errors.
    pub fn render(
        &self,
        template: &str,
        context: &impl Serialize,
        page: &str,
    ) -> Result<String, ThemeError> {
        let render_error = |message: String| ThemeError::Render {
            template: template.to_string(),
            page: page.to_string(),
            message,
        };
        let context =
            Context::from_serialize(context).map_err(|e| render_error(error_chain(&e)))?;
        self.tera
            .render(template, &context)
            .map_err(|e| render_error(error_chain(&e)))
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    message
}

/// Templates as (name, text), and static files.
type Parts = (Vec<(String, String)>, Vec<StaticFile>);

fn read_dir_theme(dir: &Path) -> Result<Parts, ThemeError> {
    let mut templates = Vec::new();
    for (name, bytes, path) in read_tree(&dir.join("templates"))? {
        let text = String::from_utf8(bytes).map_err(|_| ThemeError::NotUtf8 { path })?;
        templates.push((name, text));
    }
    let static_files = read_tree(&dir.join("static"))?
        .into_iter()
        .map(|(path, bytes, _)| StaticFile { path, bytes })
        .collect();
    Ok((templates, static_files))
}

/// Every file below `base` as (path relative to `base` with `/`, bytes,
/// full path); nothing when `base` does not exist.
fn read_tree(base: &Path) -> Result<Vec<(String, Vec<u8>, PathBuf)>, ThemeError> {
    let mut files = Vec::new();
    if !base.is_dir() {
        return Ok(files);
    }
    for entry in walkdir::WalkDir::new(base).sort_by_file_name() {
        let entry = entry.map_err(|e| ThemeError::Read {
            path: e
                .path()
                .map_or_else(|| base.to_path_buf(), Path::to_path_buf),
            reason: e
                .into_io_error()
                .unwrap_or_else(|| std::io::Error::other("file system loop")),
        })?;
        if !entry.file_type().is_file() {
            continue;
        }
        let path = entry.path();
        let name = path
            .strip_prefix(base)
            .expect("walkdir yields paths below its root")
            .to_string_lossy()
            .replace('\\', "/");
        let bytes = std::fs::read(path).map_err(|reason| ThemeError::Read {
            path: path.to_path_buf(),
            reason,
        })?;
        files.push((name, bytes, path.to_path_buf()));
    }
    Ok(files)
}

fn built_in_parts() -> Parts {
    let mut templates = Vec::new();
    let mut static_files = Vec::new();
    let mut stack = vec![&BUILT_IN];
    while let Some(dir) = stack.pop() {
        stack.extend(dir.dirs());
        for file in dir.files() {
            let path = file.path().to_string_lossy().replace('\\', "/");
            if let Some(name) = path.strip_prefix("templates/") {
                templates.push((
                    name.to_string(),
                    file.contents_utf8().unwrap_or_default().to_string(),
                ));
            } else if let Some(name) = path.strip_prefix("static/") {
                static_files.push(StaticFile {
                    path: name.to_string(),
                    bytes: file.contents().to_vec(),
                });
            }
        }
    }
    templates.sort();
    static_files.sort_by(|a, b| a.path.cmp(&b.path));
    (templates, static_files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_static_files_are_added_over_the_themes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("static")).unwrap();
        std::fs::write(dir.path().join("static/CNAME"), "postmortems.example.com").unwrap();
        std::fs::write(dir.path().join("static/style.css"), "body{}").unwrap();
        let theme = Theme::load(dir.path(), "default").unwrap();
        let file = |p: &str| {
            theme
                .static_files
                .iter()
                .find(|f| f.path == p)
                .map(|f| f.bytes.clone())
        };
        assert_eq!(file("CNAME").unwrap(), b"postmortems.example.com");
        assert_eq!(file("style.css").unwrap(), b"body{}");
        assert_eq!(theme.origin, "built-in default");
    }

    #[test]
    fn a_named_theme_that_does_not_exist_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = Theme::load(dir.path(), "nonexistent")
            .err()
            .expect("no such theme");
        assert!(matches!(err, ThemeError::Missing { .. }), "{err}");
    }
}
