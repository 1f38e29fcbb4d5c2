using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Vigil.Deploy.Tests;

/// <summary>
/// An image's command run the way a container runtime would run it, without one (podman run does not work under
/// these machines' cgroups): in the exported root filesystem (chroot), in a PID namespace of its own where it is PID 1,
/// with /proc mounted, as the image's user, in its working directory, with exactly the image's environment.
/// </summary>
internal sealed class ChrootContainer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private bool _disposed;

    private ChrootContainer(Process process) => _process = process;

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

    public bool HasExited => _process.HasExited;

    /// <summary>Starts <paramref name="command"/> in <paramref name="root"/>.</summary>
    public static ChrootContainer Start(string root, ImageConfig image, IEnumerable<string> command, IReadOnlyDictionary<string, string>? extraEnvironment = null)
    {
        var start = new ProcessStartInfo("/usr/bin/unshare")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        // --kill-child: if the test dies, so does the container. --mount-proc mounts /proc inside the new root.
        foreach (var arg in new[] { "--fork", "--pid", "--kill-child", "--mount-proc", "--root=" + root, "--wd=" + image.WorkingDirectory, "--setuid", image.Uid.ToString(CultureInfo.InvariantCulture), "--setgid", image.Gid.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var arg in command)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Clear();
        foreach (var (name, value) in image.Env)
        {
            start.Environment[name] = value;
        }

        foreach (var (name, value) in extraEnvironment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var process = new Process { StartInfo = start };
        var container = new ChrootContainer(process);
        process.OutputDataReceived += (_, e) => container.Append(e.Data);
        process.ErrorDataReceived += (_, e) => container.Append(e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return container;
    }

    /// <summary>The host's process id of the container's PID 1 (the command itself), once unshare has forked it.</summary>
    public async Task<int> PidOneAsync(CancellationToken cancellationToken)
    {
        var children = $"/proc/{_process.Id}/task/{_process.Id}/children";
        for (var i = 0; i < 100; i++)
        {
            if (File.Exists(children) && (await File.ReadAllTextAsync(children, cancellationToken)).Split(' ', StringSplitOptions.RemoveEmptyEntries) is [var pid, ..])
            {
                return int.Parse(pid, CultureInfo.InvariantCulture);
            }

            Assert.False(_process.HasExited, "the container exited at once\n" + Output);
            await Task.Delay(50, cancellationToken);
        }

        throw new InvalidOperationException("unshare started no child\n" + Output);
    }

    /// <summary>Sends SIGTERM to the container's PID 1, as podman stop, docker stop and the kubelet do.</summary>
    public async Task SignalTermAsync(CancellationToken cancellationToken)
    {
        var pid = await PidOneAsync(cancellationToken);
        var kill = await Tools.RunAsync("/bin/sh", ["-c", "kill -TERM " + pid.ToString(CultureInfo.InvariantCulture)], cancellationToken);
        Assert.True(kill.ExitCode == 0, kill.Output);
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            await _process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Assert.Fail($"the container did not exit within {timeout.TotalSeconds:F0} s\n{Output}");
        }

        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (!_process.HasExited)
        {
            // unshare --kill-child takes its child along.
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

/// <summary>What <c>podman image inspect</c> says about how to run an image.</summary>
internal sealed record ImageConfig(
    IReadOnlyDictionary<string, string> Env,
    int Uid,
    int Gid,
    string WorkingDirectory,
    IReadOnlyList<string> Entrypoint,
    IReadOnlyList<string> Cmd,
    IReadOnlyList<int> ExposedPorts,
    IReadOnlyList<string> Volumes,
    IReadOnlyDictionary<string, string> Labels,
    string StopSignal);
