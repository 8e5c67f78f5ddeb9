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

use super::bitbucket::{handle_of, Comment, Identity};

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
    /// The e-mail the writer says they signed in with (shown, never trusted: anyone can
    /// write it).
    pub stated_email: Option<String>,
    /// The opsdeck token it was written through, when written by a server (trusted only when
    /// the comment's author is that server's account, see [`Record::trusted_via`]).
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
            (None, Some(e)) => format!("{} (says {e})", self.by.label()),
            _ => self.by.label(),
        }
    }

    /// Whether the writer is one of `handles`: by what Bitbucket says about the author, or (on
    /// Cloud, which hides e-mails) by the e-mail the record states.
    /// The opsdeck token named in the record, if the comment's author is a team server's
    /// account (`server`); anyone else's `via:` line is ignored.
    pub fn trusted_via(
        &self,
        server: Option<&Identity>,
        server_handle: Option<&str>,
    ) -> Option<&str> {
        let from_server = server.is_some_and(|s| s.same_account(&self.by))
            || server_handle.is_some_and(|h| self.by.is(h));
        self.via.as_deref().filter(|_| from_server)
    }

    /// Whether the writer is one of `handles`: the token a trusted server acted for (`via`),
    /// else the Bitbucket account that wrote the comment.
    pub fn by_any(&self, handles: &[String], via: Option<&str>) -> bool {
        match via {
            // The server's own account listed: every token it acted for (see `listed`).
            Some(v) => {
                handles.iter().any(|h| handle_of(h).eq_ignore_ascii_case(v))
                    || self.by.is_any(handles)
            }
            None => self.by.is_any(handles),
        }
    }

    /// Who this record is from, for counting distinct people: the configured entry it
    /// matches (so one person counts once however they acted), else the account.
    pub fn person(&self, handles: &[String], via: Option<&str>) -> String {
        let matched = handles.iter().find(|h| match via {
            Some(v) => handle_of(h).eq_ignore_ascii_case(v),
            None => self.by.is(h),
        });
        match (matched, via) {
            (Some(h), _) => handle_of(h).to_lowercase(),
            (None, Some(v)) => format!("via:{}", v.to_lowercase()),
            (None, None) => self
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
    fn claimed_identities_count_for_nothing() {
        let mut mallory = me();
        mallory.email = None;
        mallory.account_id = Some("557058:mallory".into());
        mallory.name = "mallory".into();
        let r = Record {
            claim: Claim::Approved {
                sha256: String::new(),
            },
            path: "a.cab".into(),
            by: mallory.clone(),
            stated_email: Some("boss@example.com".into()),
            via: Some("boss@example.com".into()),
            at: String::new(),
        };
        let approvers = vec!["boss@example.com".to_string()];
        // Neither `as:` nor a `via:` from someone who is not the server counts.
        assert_eq!(r.trusted_via(None, None), None);
        assert!(!r.by_any(&approvers, r.trusted_via(None, Some("opsdeck-svc"))));
        // The server's own account may name the token it acted for.
        let server = Record {
            by: me(),
            ..r.clone()
        };
        let via = server.trusted_via(None, Some("jane@example.com"));
        assert_eq!(via, Some("boss@example.com"));
        assert!(server.by_any(&approvers, via));
        assert_eq!(server.person(&approvers, via), "boss@example.com");
        // A Cloud nickname is not an identity.
        assert!(!mallory.is("mallory"));
        assert!(mallory.is("557058:mallory"));
    }
}
