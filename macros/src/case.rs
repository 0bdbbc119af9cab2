//! `rename_all`: how a struct's field names (snake_case) and an enum's
//! variant names (PascalCase) become hash field names and stored values.

/// One of the `rename_all` rules, spelled as serde spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RenameRule {
    Lower,
    Upper,
    Pascal,
    Camel,
    Snake,
    ScreamingSnake,
    Kebab,
    ScreamingKebab,
}

impl RenameRule {
    pub const NAMES: [(&'static str, RenameRule); 8] = [
        ("lowercase", RenameRule::Lower),
        ("UPPERCASE", RenameRule::Upper),
        ("PascalCase", RenameRule::Pascal),
        ("camelCase", RenameRule::Camel),
        ("snake_case", RenameRule::Snake),
        ("SCREAMING_SNAKE_CASE", RenameRule::ScreamingSnake),
        ("kebab-case", RenameRule::Kebab),
        ("SCREAMING-KEBAB-CASE", RenameRule::ScreamingKebab),
    ];

    pub fn from_name(name: &str) -> Option<RenameRule> {
        Self::NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(_, rule)| rule)
    }

    /// A snake_case field name under this rule.
    pub fn apply_to_field(self, field: &str) -> String {
        match self {
            RenameRule::Lower | RenameRule::Snake => field.to_owned(),
            RenameRule::Upper | RenameRule::ScreamingSnake => field.to_ascii_uppercase(),
            RenameRule::Pascal => {
                let mut out = String::with_capacity(field.len());
                let mut upper = true;
                for c in field.chars() {
                    if c == '_' {
                        upper = true;
                    } else if upper {
                        out.extend(c.to_uppercase());
                        upper = false;
                    } else {
                        out.push(c);
                    }
                }
                out
            }
            RenameRule::Camel => lower_first(&RenameRule::Pascal.apply_to_field(field)),
            RenameRule::Kebab => field.replace('_', "-"),
            RenameRule::ScreamingKebab => field.to_ascii_uppercase().replace('_', "-"),
        }
    }

    /// A PascalCase variant name under this rule.
    pub fn apply_to_variant(self, variant: &str) -> String {
        match self {
            RenameRule::Pascal => variant.to_owned(),
            RenameRule::Lower => variant.to_ascii_lowercase(),
            RenameRule::Upper => variant.to_ascii_uppercase(),
            RenameRule::Camel => lower_first(variant),
            RenameRule::Snake => {
                let mut out = String::with_capacity(variant.len() + 4);
                for (i, c) in variant.char_indices() {
                    if i > 0 && c.is_uppercase() {
                        out.push('_');
                    }
                    out.extend(c.to_lowercase());
                }
                out
            }
            RenameRule::ScreamingSnake => RenameRule::Snake
                .apply_to_variant(variant)
                .to_ascii_uppercase(),
            RenameRule::Kebab => RenameRule::Snake
                .apply_to_variant(variant)
                .replace('_', "-"),
            RenameRule::ScreamingKebab => RenameRule::ScreamingSnake
                .apply_to_variant(variant)
                .replace('_', "-"),
        }
    }
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::RenameRule::{self, *};

    #[test]
    fn fields() {
        let cases: [(RenameRule, &str); 8] = [
            (Lower, "user_name_2"),
            (Upper, "USER_NAME_2"),
            (Pascal, "UserName2"),
            (Camel, "userName2"),
            (Snake, "user_name_2"),
            (ScreamingSnake, "USER_NAME_2"),
            (Kebab, "user-name-2"),
            (ScreamingKebab, "USER-NAME-2"),
        ];
        for (rule, expected) in cases {
            assert_eq!(rule.apply_to_field("user_name_2"), expected, "{rule:?}");
        }
    }

    #[test]
    fn variants() {
        let cases: [(RenameRule, &str); 8] = [
            (Lower, "darkred"),
            (Upper, "DARKRED"),
            (Pascal, "DarkRed"),
            (Camel, "darkRed"),
            (Snake, "dark_red"),
            (ScreamingSnake, "DARK_RED"),
            (Kebab, "dark-red"),
            (ScreamingKebab, "DARK-RED"),
        ];
        for (rule, expected) in cases {
            assert_eq!(rule.apply_to_variant("DarkRed"), expected, "{rule:?}");
        }
    }

    #[test]
    fn every_name_parses() {
        for (name, rule) in RenameRule::NAMES {
            assert_eq!(RenameRule::from_name(name), Some(rule));
        }
        assert_eq!(RenameRule::from_name("snake"), None);
    }
}
