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

if (args is ["flag-replica", .. var replicaArgs])
{
    return await Vigil.Benchmarks.Flags.FlagPropagationRun.RunReplicaAsync(replicaArgs);
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
