using BenchmarkDotNet.Running;
using Vigil.Benchmarks.Gateway;

// Micro-benchmarks: dotnet run -c Release --project bench/Vigil.Benchmarks -- --filter '*'
// Gateway load benchmark (servers for wrk): bench/gateway/run.sh, which runs
//   dotnet bench/Vigil.Benchmarks/bin/Release/net10.0/Vigil.Benchmarks.dll gateway-host --request bench/gateway/request.json ...
if (args is ["gateway-host", .. var rest])
{
    return await GatewayHost.RunAsync(rest);
}

if (args is ["pipelines-million", .. var pipelineArgs])
{
    return await Vigil.Benchmarks.Pipelines.PipelineMillionRun.RunAsync(pipelineArgs);
}

// Flag propagation across two replicas on PostgreSQL (docs/benchmarks.md, "Releases and flags"):
//   dotnet run -c Release --project bench/Vigil.Benchmarks -- flag-propagation [--flips 200]
if (args is ["flag-propagation", .. var flagArgs])
{
    return await Vigil.Benchmarks.Flags.FlagPropagationRun.RunAsync(flagArgs);
}

// Hostile traffic against a real 'vigil serve' (docs/benchmarks.md, "Hostile clients"): bench/cardinality/run.sh and
// bench/durability/run.sh build the CLI and run
//   dotnet bench/Vigil.Benchmarks/bin/Release/net10.0/Vigil.Benchmarks.dll cardinality --vigil src/Vigil.Cli/bin/Release/net10.0/vigil.dll
//   dotnet bench/Vigil.Benchmarks/bin/Release/net10.0/Vigil.Benchmarks.dll durability --vigil … --store sqlite --durability async
if (args is ["cardinality", .. var cardinalityArgs])
{
    return await Vigil.Benchmarks.Hostile.CardinalityRun.RunAsync(cardinalityArgs);
}

if (args is ["durability", .. var durabilityArgs])
{
    return await Vigil.Benchmarks.Hostile.DurabilityRun.RunAsync(durabilityArgs);
}

if (args is ["flag-replica", .. var replicaArgs])
{
    return await Vigil.Benchmarks.Flags.FlagPropagationRun.RunReplicaAsync(replicaArgs);
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
