//! The workflow's records in Bitbucket: installs, approvals, rejections and promotions are
//! comments on the CAB version's commit, so every desktop and the server see the same picture
//! and Bitbucket itself vouches for who wrote each (a comment's author is set from the
//! credential that wrote it). The text is for people first and parsed back strictly:
//!
//! ```text
//! [opsdeck] approved `cabs/GHA Field Service.cab`
//! sha256: 9f86d0…
//! as: approver@example.com
//! ```

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::bitbucket::{Comment, Identity};

const MARK: &str = "[opsdeck] ";

/// What a record says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Claim {
    /// The version was installed in an environment (by development, by hand, in Epicor).
    Installed {
        environment: String,
    },
    /// Approved for promotion; `sha256` is of the bytes the approver saw.
    Approved {
        sha256: String,
    },
    Rejected {
        reason: String,
    },
    Promoted {
        destination: String,
        sha256: String,
    },
    /// A pull request was opened for this version (the pull-request flow).
    ReviewRequested {
        #[ts(type = "number")]
        pull_request: u64,
    },
}

impl Claim {
    fn verb(&self) -> &'static str {
        match self {
            Claim::Installed { .. } => "installed",
            Claim::Approved { .. } => "approved",
            Claim::Rejected { .. } => "rejected",
            Claim::Promoted { .. } => "promoted",
            Claim::ReviewRequested { .. } => "review-requested",
        }
    }
}

/// A record read back from Bitbucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Record {
    pub claim: Claim,
    /// The CAB's path in the repository (a commit may carry several CABs).
    pub path: String,
    /// Who wrote it, as Bitbucket says.
    pub by: Identity,
    /// The e-mail the writer signed in with, as the record states it (Bitbucket Cloud shows
    /// no e-mails, so this is how an approver listed by e-mail is recognised there).
    pub stated_email: Option<String>,
    /// The opsdeck token it was written through, when written by a server.
    pub via: Option<String>,
    /// RFC 3339.
    pub at: String,
}

impl Record {
    /// Who wrote it, for people: Bitbucket's account, with the e-mail it signed in with where
    /// Bitbucket does not show one.
    pub fn label(&self) -> String {
        if let Some(via) = &self.via {
            return format!("{via} (through {})", self.by.label());
        }
        match (&self.by.email, &self.stated_email) {
            (None, Some(e)) => {
                let mut by = self.by.clone();
                by.email = Some(e.clone());
                by.label()
            }
            _ => self.by.label(),
        }
    }

    /// Whether the writer is one of `handles`: by what Bitbucket says about the author, or (on
    /// Cloud, which hides e-mails) by the e-mail the record states.
    /// A record written through a team server counts for the opsdeck token named in it (the
    /// server checked that token's role), or for the server's own account.
    pub fn by_any(&self, handles: &[String]) -> bool {
        let listed = |name: &str| handles.iter().any(|h| h.trim().eq_ignore_ascii_case(name));
        self.via.as_deref().is_some_and(listed)
            || self.by.is_any(handles)
            || (self.by.email.is_none() && self.stated_email.as_deref().is_some_and(listed))
    }

    /// Who this record is from, for counting distinct approvers.
    pub fn person(&self) -> String {
        match &self.via {
            Some(v) => format!("via:{}", v.to_lowercase()),
            None => self
                .by
                .account_id
                .clone()
                .unwrap_or_else(|| self.by.name.to_lowercase()),
        }
    }
}

/// The comment text for a record.
pub fn format(claim: &Claim, path: &str, me: &Identity, via: Option<&str>) -> String {
    let mut text = format!("{MARK}{} `{path}`\n", claim.verb());
    match claim {
        Claim::Installed { environment } => text.push_str(&format!("environment: {environment}\n")),
        Claim::Approved { sha256 } => text.push_str(&format!("sha256: {sha256}\n")),
        Claim::Rejected { reason } => {
            // One line: the reason is the rest of the record.
            text.push_str(&format!("reason: {}\n", one_line(reason)))
        }
        Claim::Promoted {
            destination,
            sha256,
        } => text.push_str(&format!(
            "destination: {}\nsha256: {sha256}\n",
            one_line(destination)
        )),
        Claim::ReviewRequested { pull_request } => {
            text.push_str(&format!("pull-request: {pull_request}\n"))
        }
    }
    if let Some(e) = &me.email {
        text.push_str(&format!("as: {e}\n"));
    }
    if let Some(v) = via {
        text.push_str(&format!("via: {}\n", one_line(v)));
    }
    text
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A comment as a record, if it is one.
pub fn parse(comment: &Comment) -> Option<Record> {
    let mut lines = comment.text.lines();
    let head = lines.next()?.trim().strip_prefix(MARK)?;
    let (verb, rest) = head.split_once(' ')?;
    let path = rest
        .trim()
        .strip_prefix('`')?
        .strip_suffix('`')?
        .to_string();
    let mut fields = std::collections::BTreeMap::new();
    for line in lines {
        if let Some((k, v)) = line.split_once(": ") {
            fields.insert(k.trim().to_string(), v.trim().to_string());
        }
    }
    let field = |k: &str| fields.get(k).cloned();
    let claim = match verb {
        "installed" => Claim::Installed {
            environment: field("environment")?,
        },
        "approved" => Claim::Approved {
            sha256: field("sha256")?,
        },
        "rejected" => Claim::Rejected {
            reason: field("reason").unwrap_or_default(),
        },
        "promoted" => Claim::Promoted {
            destination: field("destination").unwrap_or_default(),
            sha256: field("sha256").unwrap_or_default(),
        },
        "review-requested" => Claim::ReviewRequested {
            pull_request: field("pull-request")?.parse().ok()?,
        },
        _ => return None,
    };
    Some(Record {
        claim,
        path,
        by: comment.author.clone(),
        stated_email: field("as"),
        via: field("via"),
        at: comment.date.clone(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn me() -> Identity {
        Identity {
            name: "jane".into(),
            display_name: "Jane Approver".into(),
            email: Some("jane@example.com".into()),
            account_id: Some("557058:1".into()),
        }
    }

    #[test]
    fn every_claim_reads_back_as_written() {
        for claim in [
            Claim::Installed {
                environment: "test".into(),
            },
            Claim::Approved {
                sha256: "ab".repeat(32),
            },
            Claim::Rejected {
                reason: "Orders form\nfails to open".into(),
            },
            Claim::Promoted {
                destination: "\\\\fs\\GHA Mods\\New CABs".into(),
                sha256: "cd".repeat(32),
            },
            Claim::ReviewRequested { pull_request: 42 },
        ] {
            let text = format(&claim, "cabs/GHA Field Service.cab", &me(), Some("desk-7"));
            let c = Comment {
                id: "1".into(),
                author: me(),
                text,
                date: "2026-12-04T10:00:00Z".into(),
            };
            let r = parse(&c).unwrap();
            let expected = match claim {
                Claim::Rejected { .. } => Claim::Rejected {
                    reason: "Orders form fails to open".into(),
                },
                other => other,
            };
            assert_eq!(r.claim, expected);
            assert_eq!(r.path, "cabs/GHA Field Service.cab");
            assert_eq!(r.via.as_deref(), Some("desk-7"));
        }
    }

    #[test]
    fn other_comments_are_not_records() {
        for text in [
            "Looks good to me",
            "[opsdeck] approved no-backticks",
            "[opsdeck] approved `a.cab`",
        ] {
            let c = Comment {
                id: "1".into(),
                author: me(),
                text: text.into(),
                date: String::new(),
            };
            assert!(parse(&c).is_none(), "{text}");
        }
    }

    #[test]
    fn a_stated_email_counts_only_where_bitbucket_hides_the_real_one() {
        let mut by = me();
        by.email = None;
        let r = Record {
            claim: Claim::Approved {
                sha256: String::new(),
            },
            path: "a.cab".into(),
            by: by.clone(),
            stated_email: Some("boss@example.com".into()),
            via: None,
            at: String::new(),
        };
        assert!(r.by_any(&["boss@example.com".into()]));
        by.email = Some("jane@example.com".into());
        let r = Record { by, ..r };
        assert!(!r.by_any(&["boss@example.com".into()]));
    }
}
