//! `.txt` inputs: scraped pages, each split into its articles by [`crate::pages`].

use super::*;

pub(super) fn read_page(file: &str, content: &str, corpus: &mut Corpus) {
    let articles = crate::pages::split_page(content);
    if articles.is_empty() {
        corpus.rejects.push(Reject {
            file: file.to_string(),
            line: None,
            reason: "empty page: no text lines".to_string(),
        });
    }
    for a in articles {
        let location = Reject {
            file: file.to_string(),
            line: Some(a.line),
            reason: String::new(),
        };
        if a.body.trim().is_empty() {
            corpus.rejects.push(Reject {
                reason: format!("no body text after the headline {:?}", a.title),
                ..location
            });
            continue;
        }
        let mut extra = Fields::default();
        if !a.captions.is_empty() {
            extra.insert("caption".to_string(), Value::String(a.captions.join("\n")));
        }
        corpus.articles.push(Article {
            id: format!("{file}#{}", a.line),
            file: file.to_string(),
            line: Some(a.line),
            date: None,
            title: a.title,
            text: a.body,
            extra,
        });
    }
}
