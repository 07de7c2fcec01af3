//! The commands: each runs the library and the report for one subcommand.

use super::*;

pub(super) fn compare(args: &CompareArgs) -> Result<()> {
    let opts = &args.run;
    let input = match (&args.before, &args.after) {
        (Some(b), Some(a)) => CompareInput::Dated {
            inputs: args.inputs.clone(),
            before: DateRange::parse(b).map_err(|e| anyhow!("--before {e}"))?,
            after: DateRange::parse(a).map_err(|e| anyhow!("--after {e}"))?,
        },
        _ => {
            let [before, after] = args.inputs.as_slice() else {
                bail!(
                    "compare needs exactly two inputs, BEFORE and AFTER (got {}); or one dated \
                     input with --before and --after",
                    args.inputs.len()
                );
            };
            CompareInput::Inputs {
                before: vec![before.clone()],
                after: vec![after.clone()],
            }
        }
    };
    let model = load_model(args.model.as_deref())?.map(|m| (m, Mode::Assign as _));
    let (config, out) = opts.resolve(&args.inputs, model)?;
    let cmp = crate::compare::compare(&config, &input)?;
    let written = write_outputs(config.verbose, &cmp.analysis, Some(&cmp), &out)?;
    if opts.json {
        let mut summary = json_summary(&cmp.analysis, &written);
        summary["comparison"] = serde_json::json!({
            "before": cmp.before_name,
            "after": cmp.after_name,
            "articles_before": cmp.n_before,
            "articles_after": cmp.n_after,
            "themes": cmp.themes.iter().enumerate().map(|(t, ch)| serde_json::json!({
                "theme_id": t,
                "count_before": ch.before,
                "count_after": ch.after,
                "share_change": ch.share_after - ch.share_before,
                "z": ch.z,
                "status": ch.status(),
            })).collect::<Vec<_>>(),
        });
        println!("{summary}");
    } else if !opts.quiet {
        println!(
            "{} → {}: {} articles before, {} after",
            cmp.before_name, cmp.after_name, cmp.n_before, cmp.n_after
        );
        println!("{}", report::summary::accounting(&cmp.analysis));
        for (t, ch) in cmp.themes.iter().enumerate() {
            println!(
                "  T{:<2} {:>5} → {:<5} {:+6.1} points  {}",
                t,
                ch.before,
                ch.after,
                (ch.share_after - ch.share_before) * 100.0,
                cmp.analysis.themes.themes[t].name
            );
        }
        print_written(&written);
    }
    release_at_exit(cmp);
    Ok(())
}

pub(super) fn load_model(path: Option<&std::path::Path>) -> Result<Option<Arc<ThemeModel>>> {
    Ok(path
        .map(|p| ThemeModel::load(p).map(Arc::new))
        .transpose()?)
}

pub(super) fn fit(args: &FitArgs) -> Result<()> {
    let opts = &args.run;
    let (config, out) = opts.resolve(&args.inputs, None)?;
    let analysis = analyze(&config)?;
    let model = analysis.model();
    model.save(&args.model)?;
    let written = write_outputs(config.verbose, &analysis, None, &out)?;
    if opts.json {
        let mut summary = json_summary(&analysis, &written);
        summary["model"] = serde_json::json!(args.model.display().to_string());
        println!("{summary}");
    } else if !opts.quiet {
        report_run(&analysis);
        println!(
            "saved {} themes to {} (unassigned beyond distance {:.3})",
            model.k(),
            args.model.display(),
            model.max_distance
        );
        print_written(&written);
    }
    release_at_exit(analysis);
    Ok(())
}

pub(super) fn update(args: &UpdateArgs) -> Result<()> {
    let opts = &args.run;
    if opts.k.is_some() {
        bail!("--k does not apply to update: the model's themes stay, new ones form as needed");
    }
    // Held until the grown model is saved: another update or edit of it waits.
    let _lock = lock_model(&args.model, &args.wait)?;
    ThemeModel::check_writable(&args.model)?;
    let mut model = ThemeModel::load(&args.model)?;
    let replaced = if args.replace {
        let (before, last) = model.without_last_update()?;
        model = before;
        Some(last)
    } else {
        None
    };
    let (config, out) = opts.resolve(&args.inputs, Some((Arc::new(model), Mode::Update as _)))?;
    let analysis = analyze(&config)?;
    if let Some(last) = &replaced {
        // Re-doing another week would drop the last one's counts for good.
        let days = analysis.absorbed_days();
        let same = days
            .iter()
            .filter(|d| last.days.binary_search(d).is_ok())
            .count();
        if !crate::model::mostly_absorbed(same, days.len()) {
            bail!(
                "--replace re-does the last update ({}, {} articles); these articles are from \
                 other days ({}): update without --replace",
                last.periods,
                last.articles,
                analysis.trends.span()
            );
        }
    }
    let grown = analysis.model();
    let written = write_outputs(config.verbose, &analysis, None, &out)?;
    // The outputs first: a model that grew without them would count this week twice when
    // the update is run again.
    grown.save(&args.model)?;
    let born = analysis.formed();
    if opts.json {
        let mut summary = json_summary(&analysis, &written);
        summary["model"] = serde_json::json!(args.model.display().to_string());
        summary["new_themes"] = born
            .iter()
            .map(|t| serde_json::json!({"theme_id": t.id, "name": t.name, "size": t.size}))
            .collect();
        println!("{summary}");
    } else if !opts.quiet {
        report_run(&analysis);
        match born.len() {
            0 => println!("no new theme formed"),
            n => println!("{n} new theme{}:", if n > 1 { "s" } else { "" }),
        }
        for t in born {
            println!("  T{}  {} ({} articles)", t.id, t.name, t.size);
        }
        println!(
            "saved {} themes to {} (next id {})",
            grown.k(),
            args.model.display(),
            grown.next_id
        );
        print_written(&written);
    }
    release_at_exit(analysis);
    Ok(())
}

pub(super) fn timeline(args: &TimelineArgs) -> Result<()> {
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_OUT).join("timeline"));
    let t = crate::timeline::Timeline::read(&args.runs)?;
    let written = report::timeline::write(&t, &out, INTERRUPTED.get().map(|f| f.as_ref()))?;
    warn_in_place(&out, &written);
    if !args.quiet {
        print!("{}", report::timeline::story(&t));
        print_written(&written.files);
    }
    Ok(())
}

pub(super) fn edit_model(cmd: &ModelCommand) -> Result<()> {
    match cmd {
        ModelCommand::Show { model, json } => {
            let m = ThemeModel::load(model)?;
            if *json {
                println!("{}", model_json(&m));
            } else {
                print!("{}", model_table(&m));
            }
            Ok(())
        }
        ModelCommand::Rename {
            model,
            id,
            name,
            wait,
        } => edit_saved(model, wait, |m| {
            m.rename(*id, name)?;
            Ok(format!("theme {id} is now {:?}", name.trim()))
        }),
        ModelCommand::Merge { model, ids, wait } => edit_saved(model, wait, |m| {
            m.merge(ids)?;
            let list: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
            Ok(format!(
                "themes {} are now theme {}",
                list.join(", "),
                ids[0]
            ))
        }),
        ModelCommand::Drop { model, id, wait } => edit_saved(model, wait, |m| {
            m.drop_theme(*id)?;
            Ok(format!("theme {id} removed"))
        }),
    }
}

/// The model's lock, saying on stderr when it waits for another writer.
fn lock_model(path: &std::path::Path, wait: &Wait) -> Result<crate::model::ModelLock> {
    Ok(crate::model::ModelLock::acquire(
        path,
        !wait.no_wait,
        || {
            eprintln!(
                "tidings: waiting for another tidings updating or editing {} (--no-wait to fail \
             instead)",
                path.display()
            )
        },
    )?)
}

/// Loads a model, edits it and writes it back in place (atomically); says what it did.
pub(super) fn edit_saved(
    path: &std::path::Path,
    wait: &Wait,
    edit: impl FnOnce(&mut ThemeModel) -> Result<String>,
) -> Result<()> {
    let _lock = lock_model(path, wait)?;
    ThemeModel::check_writable(path)?;
    let mut m = ThemeModel::load(path)?;
    let done = edit(&mut m).with_context(|| path.display().to_string())?;
    m.save(path)?;
    println!("{}: {done}", path.display());
    Ok(())
}

/// Writes a command's outputs, logging how long that took with the stages' times.
pub(super) fn write_outputs(
    verbose: bool,
    a: &crate::pipeline::Analysis,
    cmp: Option<&crate::compare::Comparison>,
    out: &std::path::Path,
) -> Result<Vec<PathBuf>> {
    if interrupted() {
        bail!("interrupted before writing");
    }
    let start = std::time::Instant::now();
    let written = report::write(a, cmp, out, INTERRUPTED.get().map(|f| f.as_ref()))?;
    warn_in_place(out, &written);
    if verbose {
        eprintln!(
            "[{:>7.2}s] write: {} files",
            start.elapsed().as_secs_f64(),
            written.files.len()
        );
    }
    Ok(written.files)
}

/// Says when an output folder could not be swapped in as one unit, and why.
pub(super) fn warn_in_place(out: &std::path::Path, written: &crate::output::Written) {
    if let Some(why) = &written.in_place {
        eprintln!(
            "warning: {}: files replaced one by one, not swapped in as one unit: {why}",
            out.display()
        );
    }
}

/// Leaves a finished command's analysis to the operating system, which takes back the whole
/// process at once: freeing its millions of small allocations one by one costs time that
/// grows with the corpus.
pub(super) fn release_at_exit<T>(analysis: T) {
    std::mem::forget(analysis);
}

pub(super) fn run(args: &RunArgs) -> Result<()> {
    let opts = &args.run;
    let model = load_model(args.model.as_deref())?.map(|m| (m, Mode::Assign as _));
    let (config, out) = opts.resolve(&args.inputs, model)?;
    let analysis = analyze(&config)?;
    let written = write_outputs(config.verbose, &analysis, None, &out)?;
    if opts.json {
        println!("{}", json_summary(&analysis, &written));
    } else if !opts.quiet {
        report_run(&analysis);
        print_written(&written);
    }
    release_at_exit(analysis);
    Ok(())
}
