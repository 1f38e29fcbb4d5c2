using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Vigil.Cli.Output;
using Vigil.Cli.Releases;
using Vigil.Releases;
using Vigil.Server.Releases;

namespace Vigil.Cli.Commands;

/// <summary>
/// <c>vigil release start|status|pause|resume|approve|abort|promote|kill|amend</c>: bring a challenger to champion
/// through the steps of a plan declared up front (docs/releases.md), watch it, and steer it.
/// </summary>
internal static class ReleaseCommands
{
    public static Command Create(CliContext context)
    {
        var release = new Command("release", "Start, watch and steer releases: a challenger brought to champion step by step (docs/releases.md)");
        release.Add(Start(context));
        release.Add(Status(context));
        release.Add(Action(context, "pause", "Pause a release: nothing advances (triggers are still judged; a breach still rolls back)", reasonRequired: false));
        release.Add(Action(context, "resume", "Resume a paused release where it was (time paused does not count towards the hold)", reasonRequired: false));
        release.Add(Action(context, "approve", "Approve the step a release is waiting for; it starts at once", reasonRequired: false));
        release.Add(Action(context, "abort", "Stop a release: the challenger leaves all traffic, the aliases are unchanged", reasonRequired: true));
        release.Add(Action(context, "promote", "Make the challenger champion now, whatever step the release is at", reasonRequired: true));
        release.Add(Action(context, "kill", "The kill switch: the challenger gets no traffic at all at once; the release pauses until resumed", reasonRequired: false));
        release.Add(Amend(context));
        return release;
    }

    private static Argument<string> IdArgument() => new("id") { Description = "The release's id (rel-…), as 'vigil release status' shows it" };

    private static Option<FileInfo> PlanOption() => new("--file", "-f")
    {
        Description = "The release plan, YAML or JSON (docs/releases.md, \"The plan\")",
        HelpName = "plan.yaml",
        Required = true,
    };

    private static Option<string?> ReasonOption(bool required, string description) => new("--reason")
    {
        Description = description,
        HelpName = "text",
        Required = required,
    };

    private static Command Start(CliContext context)
    {
        var file = PlanOption();
        var json = CliContext.JsonOption();
        var command = new Command("start", "Start a release from a plan file; every mistake in the file is listed and nothing is sent") { file, json };
        context.SetAction(command, run => StartAsync(run, run.Get(file)!, run.Get(json)));
        return command;
    }

    /// <summary>Reads the plan at <paramref name="file"/>, starts it, and prints the release (shared with <c>vigil apply</c>).</summary>
    internal static async Task<int> StartAsync(Invocation run, FileInfo file, bool json)
    {
        var plan = ReadPlan(file);
        var view = await run.Output.WithProgressAsync(
            $"Starting the release of {plan.Plan!.Service} v{plan.Plan.Challenger}…",
            () => run.Client.StartReleaseAsync(plan.Json!, run.CancellationToken));
        if (json)
        {
            run.Output.Json(view);
            return ExitCodes.Success;
        }

        run.Output.MarkupLine($"Started release [bold]{Markup.Escape(view.Id)}[/] of {Markup.Escape(view.Service)} v{view.Challenger}.");
        run.Output.MarkupLine($"Status: {StatusText(view.Status)}, {Markup.Escape(StepText(view))}.");
        run.Output.Line($"Traffic: {TrafficText(view.Traffic)}.");
        run.Output.Line($"Watch it: vigil release status {view.Id}");
        return ExitCodes.Success;
    }

    private static Command Status(CliContext context)
    {
        var target = new Argument<string?>("service-or-id")
        {
            Description = "A service (its active release, else its latest) or a release id (rel-…); none: every active release",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var json = CliContext.JsonOption();
        var command = new Command("status", "Show a release: step, weight, time to the next step, samples, each trigger's estimate and margin, and its history")
        {
            target, json,
        };
        context.SetAction(command, async run =>
        {
            var now = run.Context.Time.GetUtcNow();
            var which = run.Get(target);
            if (string.IsNullOrWhiteSpace(which))
            {
                var list = await run.Client.ListReleasesAsync(null, activeOnly: true, run.CancellationToken);
                if (run.Get(json))
                {
                    run.Output.Json(list);
                    return ExitCodes.Success;
                }

                if (list.Releases.Count == 0)
                {
                    run.Output.Line("No active releases. Start one with 'vigil release start -f plan.yaml'.");
                    return ExitCodes.Success;
                }

                for (var i = 0; i < list.Releases.Count; i++)
                {
                    if (i > 0)
                    {
                        run.Output.Line();
                    }

                    Print(run.Output, list.Releases[i], now);
                }

                return ExitCodes.Success;
            }

            var view = await FindAsync(run, which.Trim());
            if (run.Get(json))
            {
                run.Output.Json(view);
                return ExitCodes.Success;
            }

            Print(run.Output, view, now);
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>A release id, or a service's active release, else its latest one.</summary>
    private static async Task<ReleaseView> FindAsync(Invocation run, string which)
    {
        var looksLikeId = which.StartsWith("rel-", StringComparison.Ordinal);
        if (looksLikeId)
        {
            try
            {
                return await run.Client.GetReleaseAsync(which, run.CancellationToken);
            }
            catch (Client.VigilApiException ex) when (ex.Status == 404)
            {
                // A service may be named rel-…: look for its releases before giving up.
            }
        }

        var active = await run.Client.ListReleasesAsync(which, activeOnly: true, run.CancellationToken);
        if (active.Releases.Count > 0)
        {
            return active.Releases.OrderByDescending(r => r.CreatedAt).First();
        }

        var all = await run.Client.ListReleasesAsync(which, activeOnly: false, run.CancellationToken);
        return all.Releases.OrderByDescending(r => r.CreatedAt).FirstOrDefault()
            ?? throw new CliFailureException(looksLikeId
                ? $"there is no release '{which}' (404), nor a service of that name with releases; list the active ones with 'vigil release status'"
                : $"service '{which}' has no release yet; start one with 'vigil release start -f plan.yaml' (or pass a release id, rel-…)");
    }

    private static Command Action(CliContext context, string verb, string description, bool reasonRequired)
    {
        var id = IdArgument();
        var reason = ReasonOption(reasonRequired, reasonRequired ? "Why (required), for the audit log" : "Why, for the audit log");
        var json = CliContext.JsonOption();
        var command = new Command(verb, description) { id, reason, json };
        context.SetAction(command, async run =>
        {
            var why = run.Get(reason);
            if (reasonRequired && string.IsNullOrWhiteSpace(why))
            {
                throw new CliUsageException($"{verb} needs a reason: --reason \"…\" (it goes to the audit log)");
            }

            var view = await WithIdHintAsync(run.Get(id)!, () => run.Client.ReleaseCommandAsync(run.Get(id)!, verb, string.IsNullOrWhiteSpace(why) ? null : why.Trim(), run.CancellationToken));
            if (run.Get(json))
            {
                run.Output.Json(view);
                return ExitCodes.Success;
            }

            var name = $"[bold]{Markup.Escape(view.Id)}[/] ({Markup.Escape(view.Service)} v{view.Challenger})";
            run.Output.MarkupLine(verb switch
            {
                "pause" => $"Paused release {name}. Resume it with 'vigil release resume {Markup.Escape(view.Id)}'.",
                "resume" => $"Resumed release {name}: {StatusText(view.Status)}, {Markup.Escape(StepText(view))}.",
                "approve" => $"Approved: release {name} is {StatusText(view.Status)}, {Markup.Escape(StepText(view))}.",
                "abort" => $"Aborted release {name}: the challenger gets no traffic; the aliases are unchanged.",
                "promote" => $"Promoted: v{view.Challenger} is now the champion of {Markup.Escape(view.Service)}. Undo with 'vigil models rollback {Markup.Escape(view.Service)}'.",
                "kill" => $"Kill switch: release {name} is {StatusText(view.Status)} and its challenger gets no traffic. Resume with 'vigil release resume {Markup.Escape(view.Id)}'.",
                _ => $"Release {name} is {StatusText(view.Status)}.",
            });
            run.Output.Line($"Traffic: {TrafficText(view.Traffic)}.");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Amend(CliContext context)
    {
        var id = IdArgument();
        var file = PlanOption();
        var reason = ReasonOption(required: true, "Why the agreed plan changes (required), for the audit log");
        var json = CliContext.JsonOption();
        var command = new Command("amend", "Change the plan of a running release; it applies from the next analysis tick") { id, file, reason, json };
        context.SetAction(command, async run =>
        {
            var why = run.Get(reason);
            if (string.IsNullOrWhiteSpace(why))
            {
                throw new CliUsageException("amend needs a reason: --reason \"…\" (the plan was agreed before the release started)");
            }

            var plan = ReadPlan(run.Get(file)!);
            var view = await WithIdHintAsync(run.Get(id)!, () => run.Client.AmendReleaseAsync(run.Get(id)!, plan.Json!, why.Trim(), run.CancellationToken));
            if (run.Get(json))
            {
                run.Output.Json(view);
                return ExitCodes.Success;
            }

            run.Output.MarkupLine($"Amended the plan of release [bold]{Markup.Escape(view.Id)}[/]; it applies from the next analysis tick.");
            run.Output.MarkupLine($"Status: {StatusText(view.Status)}, {Markup.Escape(StepText(view))}.");
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>A 404 for something that is not a release id (a service's name, say) says where to find the id.</summary>
    private static async Task<ReleaseView> WithIdHintAsync(string id, Func<Task<ReleaseView>> call)
    {
        try
        {
            return await call();
        }
        catch (Client.VigilApiException ex) when (ex.Status == 404 && !id.StartsWith("rel-", StringComparison.Ordinal))
        {
            throw new CliFailureException($"there is no release '{id}' (404): give the release's id (rel-…); 'vigil release status {id}' shows the release of a service and its id");
        }
    }

    /// <summary>Reads and checks a plan file; every error, with its line, is a failure (exit 1) and nothing is sent.</summary>
    private static ReleasePlanYamlResult ReadPlan(FileInfo file)
    {
        var read = ReleasePlanYaml.ReadFile(file.FullName);
        if (!read.IsValid)
        {
            throw new CliFailureException(
                $"{file.Name} is not a valid release plan ({read.Errors.Count} error{(read.Errors.Count == 1 ? "" : "s")}); nothing was sent:",
                read.Errors);
        }

        return read;
    }

    // Printing

    private static void Print(CliOutput output, ReleaseView view, DateTimeOffset now)
    {
        var samples = SamplesText(view);
        var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        grid.AddRow("[bold]Release[/]", Markup.Escape(view.Id));
        grid.AddRow("[bold]Service[/]", Markup.Escape(view.Service));
        grid.AddRow("[bold]Challenger[/]", $"v{view.Challenger}");
        grid.AddRow("[bold]Status[/]", StatusText(view.Status));
        grid.AddRow("[bold]Step[/]", Markup.Escape(StepText(view)));
        grid.AddRow("[bold]Traffic[/]", Markup.Escape(TrafficText(view.Traffic)));
        grid.AddRow("[bold]Next step[/]", Markup.Escape(NextStepText(view, now)));
        grid.AddRow("[bold]Samples[/]", Markup.Escape(samples));
        if (view.LastDecision is { Length: > 0 } decision)
        {
            grid.AddRow("[bold]Last decision[/]", Markup.Escape(decision));
        }

        grid.AddRow("[bold]Started[/]", Styles.Time(view.CreatedAt));
        grid.AddRow("[bold]Updated[/]", Styles.Time(view.UpdatedAt));
        output.Console.Write(grid);

        output.Line();
        output.MarkupLine("[bold]Rollback triggers[/]");
        var triggers = Styles.Table("Trigger", "Segment", "Estimate", "Interval", "Threshold", "Margin left", "Samples", "Verdict");
        if (view.Triggers is { Count: > 0 } evaluations)
        {
            foreach (var e in evaluations)
            {
                var relative = e.Trigger.EffectiveCompare == TriggerCompare.Control;
                triggers.AddRow(
                    Markup.Escape(e.Trigger.Describe()),
                    Styles.Text(e.Segment),
                    Share(e.Estimate, relative),
                    Interval(e.Lower, e.Upper, relative),
                    Share(e.Threshold, relative),
                    Points(e.MarginLeft),
                    SamplesCell(e.ChallengerSamples, e.ControlSamples, relative),
                    Verdict(e.Verdict));
            }
        }
        else
        {
            foreach (var trigger in view.Plan.TriggerList)
            {
                triggers.AddRow(Markup.Escape(trigger.Describe()), Styles.Text(trigger.PerSegment), "-", "-", "-", "-", "-", "[grey]not analysed yet[/]");
            }
        }

        if (view.Triggers is { Count: > 0 } || view.Plan.TriggerList.Count > 0)
        {
            output.Console.Write(triggers);
        }
        else
        {
            output.Line("none declared");
        }

        output.Line();
        output.MarkupLine("[bold]Promotion criteria[/]");
        if (view.Promotion is { Count: > 0 } promotion)
        {
            var table = Styles.Table("Criterion", "Estimate", "Interval", "Threshold", "Samples", "Verdict");
            foreach (var p in promotion)
            {
                table.AddRow(
                    Markup.Escape(Describe(p.Criterion)),
                    Share(p.Estimate, relative: true),
                    Interval(p.Lower, p.Upper, relative: true),
                    Share(p.Threshold, relative: true),
                    SamplesCell(p.ChallengerSamples, p.ControlSamples, relative: true),
                    Verdict(p.Verdict));
            }

            output.Console.Write(table);
        }
        else if (view.Plan.PromotionList.Count > 0)
        {
            foreach (var criterion in view.Plan.PromotionList)
            {
                output.MarkupLine($"  {Markup.Escape(Describe(criterion))} [grey](judged on the last step; not judged yet)[/]");
            }
        }
        else
        {
            output.Line("none declared: the last step promotes once its hold and samples are in and no trigger is inconclusive");
        }

        if (view.Shadow is { } shadow)
        {
            output.Line();
            output.MarkupLine("[bold]Shadow comparison[/] [grey](challenger against the champion on the same requests)[/]");
            var table = Styles.Table("Pairs", "Challenger errors", "Label agreement", "Mean |Δ score|", "Score PSI", "Latency p50 / p99 champion", "Latency p50 / p99 challenger");
            table.AddRow(
                Invariant($"{shadow.Pairs}"),
                shadow.ChallengerErrorRate is { } rate ? Invariant($"{shadow.ChallengerErrors} ({rate * 100:0.##}%)") : "-",
                shadow.LabelAgreement is { } agreement ? Invariant($"{agreement * 100:0.##}%") : "[grey]-[/]",
                shadow.MeanAbsoluteDifference is { } mad ? Markup.Escape(Invariant($"{mad:0.####} ({shadow.ScoreField})")) : "[grey]-[/]",
                shadow.ScorePsi is { } psi ? Invariant($"{psi:0.####}") : "[grey]-[/]",
                Invariant($"{shadow.ChampionLatencyP50Ms:0.##} / {shadow.ChampionLatencyP99Ms:0.##} ms"),
                Invariant($"{shadow.ChallengerLatencyP50Ms:0.##} / {shadow.ChallengerLatencyP99Ms:0.##} ms"));
            output.Console.Write(table);
        }

        output.Line();
        output.MarkupLine("[bold]History[/]");
        var history = Styles.Table("At", "Transition", "Actor", "Reason");
        foreach (var e in view.Events.OrderBy(e => e.At).ThenBy(e => e.Id))
        {
            history.AddRow(Styles.Time(e.At), Markup.Escape($"{e.From} → {e.To}"), Markup.Escape(e.Actor), Styles.Text(e.Reason));
        }

        output.Console.Write(history);
    }

    /// <summary>The status, coloured, always in words: "canary", "rolled_back".</summary>
    private static string StatusText(string status) => status switch
    {
        "promoted" => "[green bold]promoted[/]",
        "rolled_back" => "[red bold]rolled_back[/]",
        "aborted" => "[red]aborted[/]",
        "paused" => "[yellow]paused[/]",
        "awaiting_approval" => "[yellow]awaiting_approval[/]",
        _ => $"[bold]{Markup.Escape(status)}[/]",
    };

    /// <summary>"step 2/4 at 5%", "shadow phase (100% of requests copied)", "pending (starts at the next analysis tick)".</summary>
    internal static string StepText(ReleaseView view)
    {
        var state = view.State;
        var steps = view.Plan.StepList;
        var phase = state.EffectivePhase;
        var paused = state.Phase == ReleasePhase.Paused ? (state.Pause is { KillSwitch: true } ? " (paused by the kill switch)" : " (paused)") : string.Empty;
        if (state.IsTerminal)
        {
            return state.Step >= 1 ? Invariant($"ended at step {state.Step}/{steps.Count}") : "ended before the first step";
        }

        return phase switch
        {
            ReleasePhase.Pending => "pending (starts at the next analysis tick)",
            ReleasePhase.Shadowing => $"shadow phase ({view.Plan.Shadow?.Sample.ToString() ?? "?"} of requests copied){paused}",
            ReleasePhase.AwaitingApproval => (state.Step >= 1 ? Invariant($"step {state.Step}/{steps.Count} at {WeightOf(view, state.Step)}, ") : string.Empty)
                + Invariant($"waiting for approval of step {state.Step + 1}/{steps.Count}{paused}"),
            ReleasePhase.Canary => Invariant($"step {state.Step}/{steps.Count} at {WeightOf(view, state.Step)}{paused}"),
            _ => state.Phase.ToString().ToLowerInvariant() + paused,
        };
    }

    private static string WeightOf(ReleaseView view, int step) =>
        step >= 1 && step <= view.Plan.StepList.Count ? view.Plan.StepList[step - 1].Weight.ToString() : "?";

    /// <summary>How long until the current step (or shadow phase) may end: its hold minus the time it has run, pauses not counted.</summary>
    internal static string NextStepText(ReleaseView view, DateTimeOffset now)
    {
        var state = view.State;
        if (state.IsTerminal)
        {
            return "-";
        }

        if (state.Phase == ReleasePhase.Pending || state.StepStartedAt is null)
        {
            return "starts at the next analysis tick";
        }

        if (state.Phase == ReleasePhase.Paused)
        {
            return $"paused since {Styles.Time(state.Pause?.At)}: the hold does not count down; resume with 'vigil release resume {view.Id}'";
        }

        if (state.Phase == ReleasePhase.AwaitingApproval)
        {
            return $"waits for a person: vigil release approve {view.Id}";
        }

        TimeSpan hold;
        string what;
        if (state.Phase == ReleasePhase.Shadowing && view.Plan.Shadow is { } shadow)
        {
            hold = shadow.Duration.Value;
            what = view.Plan.StepList.Count > 0 ? "step 1" : "the end of the shadow phase (then a person promotes or aborts)";
        }
        else if (state.Step >= 1 && state.Step <= view.Plan.StepList.Count)
        {
            hold = view.Plan.StepList[state.Step - 1].Hold.Value;
            what = state.Step < view.Plan.StepList.Count ? Invariant($"step {state.Step + 1}") : "promotion";
        }
        else
        {
            return "-";
        }

        var left = hold - state.HeldAt(now);
        var gate = state.Step + 1 <= view.Plan.StepList.Count && view.Plan.NeedsApprovalBefore(state.Step + 1) ? ", after approval" : string.Empty;
        return left > TimeSpan.Zero
            ? $"{what} in {Span(left)} at the earliest (hold {new Duration(hold)}, minus time paused){gate}"
            : $"hold done; {what} at the first tick with enough samples and no inconclusive trigger{gate}";
    }

    /// <summary>The challenger's (and control's) samples, as the latest analysis counted them.</summary>
    private static string SamplesText(ReleaseView view)
    {
        var evaluated = (view.Triggers ?? []).Select(t => (t.ChallengerSamples, t.ControlSamples))
            .Concat((view.Promotion ?? []).Select(p => (p.ChallengerSamples, p.ControlSamples)))
            .ToList();
        if (evaluated.Count == 0)
        {
            return $"not analysed yet (at least {view.Plan.MinSamplesPerStep} per step)";
        }

        var challenger = evaluated.Max(s => s.ChallengerSamples);
        var control = evaluated.Max(s => s.ControlSamples);
        return Invariant($"challenger {challenger:N0}") + (control > 0 ? Invariant($", control {control:N0}") : string.Empty)
            + Invariant($" (at least {view.Plan.MinSamplesPerStep:N0} per step)");
    }

    /// <summary>What the challenger gets now.</summary>
    internal static string TrafficText(ReleaseTraffic traffic)
    {
        if (!traffic.ReleaseFlagOn)
        {
            return "none (release flag off)";
        }

        var parts = new List<string>();
        if (traffic.ShadowSamplePpm > 0)
        {
            parts.Add($"shadow copies of {Ppm(traffic.ShadowSamplePpm)} of requests");
        }

        if (traffic.CanaryWeightPpm > 0)
        {
            parts.Add($"serves {Ppm(traffic.CanaryWeightPpm)} of traffic");
        }

        return parts.Count == 0 ? "none yet" : string.Join(", ", parts);
    }

    private static string Ppm(int ppm) => (ppm / 10_000.0).ToString("0.####", CultureInfo.InvariantCulture) + "%";

    private static string Describe(PromotionCriterion criterion) =>
        $"{criterion.Metric} no worse than control by more than {criterion.NonInferiorMargin?.ToString() ?? "?"}";

    /// <summary>A fraction as a share (absolute: "1.85%") or a difference (relative: "-2.10pp").</summary>
    private static string Share(double? fraction, bool relative) => fraction is not { } f
        ? "[grey]-[/]"
        : relative ? Points(f) : Invariant($"{f * 100:0.00}%");

    private static string Points(double? fraction) => fraction is { } f ? Invariant($"{f * 100:+0.00;-0.00;0.00}pp") : "[grey]-[/]";

    private static string Interval(double? lower, double? upper, bool relative) => lower is null && upper is null
        ? "[grey]-[/]"
        : $"[[{Share(lower, relative)}, {Share(upper, relative)}]]";

    private static string SamplesCell(long challenger, long control, bool relative) =>
        relative ? Invariant($"{challenger:N0} / {control:N0}") : Invariant($"{challenger:N0}");

    private static string Verdict(TriggerVerdict verdict) => verdict switch
    {
        TriggerVerdict.Ok => "[green]ok[/]",
        TriggerVerdict.Breached => "[red bold]breached[/]",
        _ => "[yellow]inconclusive[/]",
    };

    private static string Verdict(PromotionVerdict verdict) => verdict switch
    {
        PromotionVerdict.Met => "[green]met[/]",
        PromotionVerdict.NotMet => "[yellow]not met[/]",
        _ => "[yellow]inconclusive[/]",
    };

    /// <summary>"2d 4h", "3h 20m", "12m", "45s".</summary>
    internal static string Span(TimeSpan span)
    {
        if (span.TotalDays >= 1)
        {
            return Invariant($"{(int)span.TotalDays}d {span.Hours}h");
        }

        if (span.TotalHours >= 1)
        {
            return Invariant($"{span.Hours}h {span.Minutes}m");
        }

        return span.TotalMinutes >= 1 ? Invariant($"{span.Minutes}m {span.Seconds}s") : Invariant($"{Math.Max(1, (int)Math.Ceiling(span.TotalSeconds))}s");
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
