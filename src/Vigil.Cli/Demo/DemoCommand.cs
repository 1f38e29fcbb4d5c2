using System.CommandLine;

namespace Vigil.Cli.Demo;

/// <summary>
/// <c>vigil demo</c>: the first thing a newcomer runs. Trains a small recommender, starts Vigil in process on an
/// accelerated clock, sends a few simulated days of traffic and feedback through the real HTTP API, shows what Vigil
/// recorded, and keeps serving so the dashboard, the API and the other commands can be tried against it.
/// </summary>
public static class DemoCommand
{
    /// <summary>Creates the <c>demo</c> command with its options and action.</summary>
    public static Command Create()
    {
        var speed = new Option<double>("--speed")
        {
            Description = $"Simulated seconds per real second [default: {DemoSettings.DefaultSpeed:0} (one simulated day in 6 s)]",
            HelpName = "factor",
            DefaultValueFactory = _ => DemoSettings.DefaultSpeed,
        };
        var days = new Option<int>("--days")
        {
            Description = "Simulated days of traffic [default: 2]",
            HelpName = "n",
            DefaultValueFactory = _ => 2,
        };
        var requestsPerDay = new Option<int>("--requests-per-day")
        {
            Description = "Requests the simulated users send per simulated day [default: 1500]",
            HelpName = "n",
            DefaultValueFactory = _ => 1_500,
        };
        var seed = new Option<int>("--seed")
        {
            Description = "Seed of the data, the model and the traffic: the same seed gives the same run [default: 42]",
            HelpName = "n",
            DefaultValueFactory = _ => 42,
        };
        var port = new Option<int>("--port")
        {
            Description = $"Port of the demo server on 127.0.0.1; 0 picks a free one [default: {DemoSettings.DefaultPort}]",
            HelpName = "port",
            DefaultValueFactory = _ => DemoSettings.DefaultPort,
        };
        var dir = new Option<string>("--dir")
        {
            Description = $"Working folder, deleted and recreated on each run (model, data, vigil.db, summary.json) [default: {DemoSettings.DefaultDirectory}]",
            HelpName = "path",
            DefaultValueFactory = _ => DemoSettings.DefaultDirectory,
        };
        var rolloutSpeed = new Option<double>("--rollout-speed")
        {
            Description = $"Simulated seconds per real second in the rollout scenario [default: {DemoSettings.DefaultRolloutSpeed:0} (one simulated day in 1.6 s)]",
            HelpName = "factor",
            DefaultValueFactory = _ => DemoSettings.DefaultRolloutSpeed,
        };
        var rolloutRequestsPerDay = new Option<int>("--rollout-requests-per-day")
        {
            Description = $"Requests per simulated day in the rollout scenario [default: {DemoSettings.DefaultRolloutRequestsPerDay}]",
            HelpName = "n",
            DefaultValueFactory = _ => DemoSettings.DefaultRolloutRequestsPerDay,
        };
        var canaryRequestsPerDay = new Option<int>("--canary-requests-per-day")
        {
            Description = $"Requests per simulated day in the bad-canary scenario [default: {DemoSettings.DefaultCanaryRequestsPerDay}]",
            HelpName = "n",
            DefaultValueFactory = _ => DemoSettings.DefaultCanaryRequestsPerDay,
        };
        var scenarios = new Option<string>("--scenarios")
        {
            Description = $"The scenarios to play, comma-separated, in order [default: {string.Join(',', DemoScenarios.Names)}; 'baseline' for short]",
            HelpName = "list",
        };
        var exitWhenDone = new Option<bool>("--exit-when-done")
        {
            Description = "Exit when the scenarios are done instead of serving until Ctrl+C (for scripts and CI); exit code 1 if any request or feedback failed or a release did not end as its scenario expects",
        };

        var command = new Command("demo", "Train a sample recommender, run Vigil on an accelerated clock and send it simulated traffic")
        {
            speed, days, requestsPerDay, seed, port, dir, scenarios, canaryRequestsPerDay, rolloutSpeed, rolloutRequestsPerDay, exitWhenDone,
        };

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var settings = new DemoSettings
            {
                Speed = parseResult.GetValue(speed),
                Days = parseResult.GetValue(days),
                RequestsPerDay = parseResult.GetValue(requestsPerDay),
                Seed = parseResult.GetValue(seed),
                Port = parseResult.GetValue(port),
                Directory = parseResult.GetValue(dir) ?? DemoSettings.DefaultDirectory,
                ExitWhenDone = parseResult.GetValue(exitWhenDone),
                Scenarios = DemoScenarios.Parse(parseResult.GetValue(scenarios)),
                RolloutSpeed = parseResult.GetValue(rolloutSpeed),
                RolloutRequestsPerDay = parseResult.GetValue(rolloutRequestsPerDay),
                CanaryRequestsPerDay = parseResult.GetValue(canaryRequestsPerDay),
            };

            var configuration = parseResult.InvocationConfiguration;
            var console = new DemoConsole(configuration.Output, configuration.Error);
            var errors = settings.Validate();
            if (errors.Count > 0)
            {
                foreach (var error in errors)
                {
                    console.Fail(error);
                }

                return 2;
            }

            try
            {
                return await new DemoRunner(settings, console, TimeProvider.System).RunAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                console.Fail("the demo was stopped before it finished");
                return 1;
            }
        });

        return command;
    }
}
