using System.CommandLine;
using Spectre.Console;
using Vigil.Cli.Output;
using Vigil.Cli.ServiceFiles;
using Vigil.Registry;
using Vigil.Server.Api;

namespace Vigil.Cli.Commands;

/// <summary><c>vigil services list|show|create</c>: the prediction endpoints Vigil knows.</summary>
internal static class ServicesCommands
{
    public static Command Create(CliContext context)
    {
        var services = new Command("services", "List, show and create services (named prediction endpoints)");
        services.Add(List(context));
        services.Add(Show(context));
        services.Add(CreateService(context));
        services.Add(LayerCommands.ServiceMonitoring(context));
        return services;
    }

    private static Command List(CliContext context)
    {
        var json = CliContext.JsonOption();
        var command = new Command("list", "List every service with its aliases") { json };
        context.SetAction(command, async run =>
        {
            var list = await run.Client.ListServicesAsync(run.CancellationToken);
            if (run.Get(json))
            {
                run.Output.Json(list);
                return ExitCodes.Success;
            }

            if (list.Services.Count == 0)
            {
                run.Output.Line("No services yet. Create one with 'vigil services create -f service.yaml'.");
                return ExitCodes.Success;
            }

            var table = Styles.Table("Service", "Inputs", "Output", "Versions", "Aliases", "Created");
            foreach (var service in list.Services)
            {
                table.AddRow(
                    Markup.Escape(service.Name),
                    service.Inputs.Count.ToString(),
                    ServiceFileReader.EnumText(service.Output.Kind),
                    service.Versions.ToString(),
                    Styles.AliasSummary(service.Aliases),
                    Styles.Time(service.CreatedAt));
            }

            run.Output.Console.Write(table);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Show(CliContext context)
    {
        var name = new Argument<string>("service") { Description = "The service's name" };
        var json = CliContext.JsonOption();
        var command = new Command("show", "Show a service: its schema, output and aliases") { name, json };
        context.SetAction(command, async run =>
        {
            var service = await run.Client.GetServiceAsync(run.Get(name)!, run.CancellationToken);
            if (run.Get(json))
            {
                run.Output.Json(service);
                return ExitCodes.Success;
            }

            Print(run.Output, service);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateService(CliContext context)
    {
        var file = new Option<FileInfo?>("--file", "-f")
        {
            Description = "A YAML or JSON file with name, description, inputs and output (snake_case keys)",
            HelpName = "service.yaml",
        };
        var name = new Option<string?>("--name") { Description = "The service's name (instead of --file)" };
        var description = new Option<string?>("--description") { Description = "Free text for people" };
        var inputs = new Option<List<FeatureSpec>>("--input")
        {
            Description = "An input feature, repeatable: price:number, age:integer:0..130, country:category:DE,FR,US, note:string? ('?' = nullable)",
            HelpName = "name:type[?][:detail]",
            Arity = ArgumentArity.ZeroOrMore,
            AllowMultipleArgumentsPerToken = false,
            DefaultValueFactory = _ => [],
            CustomParser = result =>
            {
                var features = new List<FeatureSpec>();
                foreach (var token in result.Tokens)
                {
                    if (FeatureArgument.TryParse(token.Value, out var feature, out var error))
                    {
                        features.Add(feature!);
                    }
                    else
                    {
                        result.AddError(error!);
                    }
                }

                return features;
            },
        };
        var output = new Option<OutputSpec?>("--output")
        {
            Description = "The output kind: probability, class[:labels], score, ranking or text",
            HelpName = "kind",
            CustomParser = result =>
            {
                var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : string.Empty;
                if (FeatureArgument.TryParseOutput(text, out var spec, out var error))
                {
                    return spec;
                }

                result.AddError(error!);
                return null;
            },
        };
        var json = CliContext.JsonOption();
        var command = new Command("create", "Create a service from a file (-f) or from --name, --input and --output")
        {
            file, name, description, inputs, output, json,
        };
        command.Validators.Add(result =>
        {
            var fromFile = result.GetResult(file) is not null;
            var fromFlags = result.GetResult(name) is not null || result.GetResult(inputs) is not null || result.GetResult(output) is not null;
            if (fromFile && (fromFlags || result.GetResult(description) is not null))
            {
                result.AddError("give either --file or --name/--input/--output, not both");
            }
            else if (!fromFile)
            {
                var missing = new List<string>();
                if (result.GetResult(name) is null)
                {
                    missing.Add("--name");
                }

                if (result.GetResult(inputs) is null)
                {
                    missing.Add("at least one --input");
                }

                if (result.GetResult(output) is null)
                {
                    missing.Add("--output");
                }

                if (missing.Count > 0)
                {
                    result.AddError($"give --file service.yaml, or {string.Join(", ", missing)}");
                }
            }
        });

        context.SetAction(command, async run =>
        {
            CreateServiceRequest request;
            if (run.Get(file) is { } path)
            {
                request = ReadServiceFile(path);
            }
            else
            {
                request = new CreateServiceRequest(run.Get(name)!, run.Get(inputs)!, run.Get(output)!, run.Get(description));
                var errors = ServiceValidator.Validate(new ServiceDefinition(request.Name, request.Description ?? string.Empty, request.Inputs, request.Output, default));
                if (errors.Count > 0)
                {
                    throw new CliFailureException("the service is not valid:", errors);
                }
            }

            return await CreateAsync(run, request, run.Get(json));
        });
        return command;
    }

    /// <summary>Reads and checks a service file; every error in it is reported at once and nothing is sent.</summary>
    internal static CreateServiceRequest ReadServiceFile(FileInfo path)
    {
        var read = ServiceFileReader.ReadFile(path.FullName);
        if (!read.IsValid)
        {
            throw new CliFailureException($"{path.Name} is not a valid service definition ({read.Errors.Count} error{(read.Errors.Count == 1 ? "" : "s")}):", read.Errors);
        }

        return read.Request!;
    }

    /// <summary>Creates the service and prints it (or its JSON) with the next step to take.</summary>
    internal static async Task<int> CreateAsync(Invocation run, CreateServiceRequest request, bool json)
    {
        var created = await run.Client.CreateServiceAsync(request, run.CancellationToken);
        if (json)
        {
            run.Output.Json(created);
            return ExitCodes.Success;
        }

        run.Output.MarkupLine($"Created service [bold]{Markup.Escape(created.Name)}[/] with {created.Inputs.Count} input{(created.Inputs.Count == 1 ? "" : "s")}.");
        run.Output.Line($"Next: vigil models register {created.Name} --backend onnx --location model.onnx --alias champion");
        return ExitCodes.Success;
    }

    private static void Print(CliOutput output, ServiceView service)
    {
        var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        grid.AddRow("[bold]Service[/]", Markup.Escape(service.Name));
        grid.AddRow("[bold]Description[/]", Styles.Text(service.Description));
        grid.AddRow("[bold]Output[/]", Markup.Escape(ServiceFileReader.EnumText(service.Output.Kind))
            + (service.Output.Classes is { Count: > 0 } classes ? Markup.Escape($" ({string.Join(", ", classes)})") : string.Empty));
        grid.AddRow("[bold]Versions[/]", service.Versions.ToString());
        grid.AddRow("[bold]Aliases[/]", Styles.AliasSummary(service.Aliases));
        grid.AddRow("[bold]Created[/]", Styles.Time(service.CreatedAt));
        output.Console.Write(grid);
        output.Line();

        var table = Styles.Table("Input", "Type", "Nullable", "Range", "Categories");
        foreach (var feature in service.Inputs)
        {
            var range = feature.Min is null && feature.Max is null ? "-" : $"{feature.Min?.ToString() ?? ""}..{feature.Max?.ToString() ?? ""}";
            table.AddRow(
                Markup.Escape(feature.Name),
                ServiceFileReader.EnumText(feature.Type),
                feature.Nullable ? "yes" : "no",
                Markup.Escape(range),
                feature.Categories is { Count: > 0 } c ? Markup.Escape(string.Join(", ", c)) : "[grey]-[/]");
        }

        output.Console.Write(table);
    }
}
