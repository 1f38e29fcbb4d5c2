using System.Diagnostics;
using System.Text;

namespace Vigil.Cli.Tests;

/// <summary>A <c>dotnet vigil.dll ARGS</c> process whose stdout and stderr are collected together.</summary>
internal sealed class ServeProcess : IAsyncDisposable
{
    /// <summary>How long a start or a failure to start may take on a busy machine.</summary>
    public static readonly TimeSpan StartBudget = TimeSpan.FromSeconds(90);

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private bool _disposed;

    private ServeProcess(Process process) => _process = process;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static ServeProcess Start(string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "vigil.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var name in new[] { "VIGIL_STORE", "VIGIL_SERVER", "VIGIL_API_KEY", "VIGIL_WEBHOOKS" })
        {
            start.Environment.Remove(name);
        }

        var process = new Process { StartInfo = start };
        var result = new ServeProcess(process);
        process.OutputDataReceived += (_, e) => result.Append(e.Data);
        process.ErrorDataReceived += (_, e) => result.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return result;
    }

    public async Task WaitUntilHealthyAsync(string server)
    {
        using var client = new HttpClient { BaseAddress = new Uri(server), Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < StartBudget)
        {
            Assert.False(_process.HasExited, $"vigil serve exited with {(_process.HasExited ? _process.ExitCode : 0)}\n{Output}");
            try
            {
                using var response = await client.GetAsync("/healthz", TestContext.Current.CancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
            {
                // Starting slowly on a busy machine.
            }

            await Task.Delay(200, TestContext.Current.CancellationToken);
        }

        Assert.Fail($"vigil serve did not answer /healthz within {StartBudget.TotalSeconds:F0} s\n{Output}");
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            await _process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            Assert.Fail($"vigil did not exit within {timeout.TotalSeconds:F0} s\n{Output}");
        }

        // WaitForExitAsync also waits for the redirected streams to reach their end.
        return _process.ExitCode;
    }

    /// <summary>Sends SIGTERM and waits for the process to end; its exit code.</summary>
    public async Task<int> TerminateAsync()
    {
        // The shell's own kill, so that no procps package is needed.
        using (var kill = Process.Start(new ProcessStartInfo("sh") { ArgumentList = { "-c", "kill -TERM " + _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) } })!)
        {
            await kill.WaitForExitAsync(TestContext.Current.CancellationToken);
            Assert.Equal(0, kill.ExitCode);
        }

        return await WaitForExitAsync(TimeSpan.FromSeconds(60));
    }

    /// <summary>Sends SIGKILL (kill -9: no shutdown, no drain) and waits for the process to end.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>The process id (to read its memory, or to signal it).</summary>
    public int Id => _process.Id;

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
