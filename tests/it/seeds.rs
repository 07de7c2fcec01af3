//! Declared themes (`[[theme]]` with seed terms): fitted first, with their names and ids, the
//! rest clustered freely; a declared theme no article joins is kept with none.

use std::fs;

use crate::common::*;

const THEMES: &str = r#"
[[theme]]
name = "Coffee talks"
terms = ["coffee", "ico", "quotas", "export"]

[[theme]]
name = "Zeppelins"
terms = ["zeppelin", "dirigible"]
"#;

#[test]
fn declared_themes_keep_names_and_ids_and_gather_their_articles() {
    let dir = tempfile::tempdir().unwrap();
    let themes_file = dir.path().join("themes.toml");
    fs::write(&themes_file, THEMES).unwrap();
    let out = dir.path().join("out");
    let model = dir.path().join("m.model");
    let o = tidings(&[
        "fit",
        "data/sample",
        "--k",
        "8",
        "--themes",
        themes_file.to_str().unwrap(),
        "--model",
        model.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let summary: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(summary["k"], 8);
    let themes = read_parquet(&out.join("themes.parquet"));
    let names = strings(&themes, "name");
    assert_eq!(&names[..2], ["Coffee talks", "Zeppelins"]);
    assert_eq!(ints(&themes, "theme_id")[..2], [0, 1]);
    let sizes = ints(&themes, "size");
    assert_eq!(sizes[1], 0, "no article is about zeppelins");
    assert_eq!(strings(&themes, "label")[1], "zeppelin · dirigible");
    assert!(
        stderr(&o).contains("[[theme]] \"Zeppelins\": none of its terms"),
        "{}",
        stderr(&o)
    );

    let articles = read_parquet(&out.join("articles.parquet"));
    let (labels, ids) = (strings(&articles, "label"), ints(&articles, "theme_id"));
    let coffee: Vec<&String> = labels
        .iter()
        .zip(&ids)
        .filter(|(_, &t)| t == 0)
        .map(|(l, _)| l)
        .collect();
    let on_topic = coffee.iter().filter(|l| l.as_str() == "coffee").count();
    assert!(coffee.len() >= 40, "{} articles", coffee.len());
    assert!(
        on_topic * 10 >= coffee.len() * 8,
        "{on_topic} of {} are coffee",
        coffee.len()
    );
    let all_coffee = labels.iter().filter(|l| l.as_str() == "coffee").count();
    assert!(
        on_topic * 10 >= all_coffee * 8,
        "{on_topic} of {all_coffee} coffee articles"
    );
    assert_eq!(summary["articles_read"], 599);

    // The names and ids live on in the model.
    let o = tidings(&["model", "show", model.to_str().unwrap(), "--json"]);
    let shown: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(shown["themes"][0]["name"], "Coffee talks");
    assert_eq!(shown["themes"][1]["name"], "Zeppelins");
}

#[test]
fn bad_declarations_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("t.toml");
    for (text, says) in [
        (
            "[[theme]]\nname = \" \"\nterms = [\"a\"]\n",
            "the name is empty",
        ),
        ("[[theme]]\nname = \"A\"\nterms = []\n", "\"A\": no terms"),
        (
            "[[theme]]\nname = \"A\"\nterms = [\"x\"]\n[[theme]]\nname = \"A\"\nterms = [\"y\"]\n",
            "declared twice",
        ),
        (
            "[[theme]]\nname = \"A\"\nwords = [\"x\"]\n",
            "unknown field `words`",
        ),
        ("", "no [[theme]] entries"),
    ] {
        fs::write(&file, text).unwrap();
        let o = tidings(&[
            "run",
            "--themes",
            file.to_str().unwrap(),
            "--out",
            dir.path().join("o").to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(1), "{text}");
        let err = stderr(&o);
        assert!(
            err.contains(says) && err.contains("t.toml"),
            "{text}: {err}"
        );
    }
    fs::write(&file, THEMES).unwrap();
    let o = tidings(&["run", "--themes", file.to_str().unwrap(), "--k", "1"]);
    assert!(
        stderr(&o).contains("--k 1 is fewer than the 2 declared themes"),
        "{}",
        stderr(&o)
    );
}
