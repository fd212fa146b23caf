//! Text made safe to place inside HTML, SVG or XML, as element text or as
//! a quoted attribute value.

/// Escapes the five markup characters and drops the control characters
/// XML 1.0 does not allow at all.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_control_characters() {
        assert_eq!(
            escape("<a href=\"x\" title='y'>&\u{1}\tz</a>"),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;\tz&lt;/a&gt;"
        );
    }
}
