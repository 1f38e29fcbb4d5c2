namespace Vigil.Serving;

/// <summary>
/// Counts the calls in flight on a backend so that disposing it (an eviction from the <see cref="BackendCache"/> while
/// requests still run) releases its native resources only after the last call has finished.
/// </summary>
internal sealed class InFlightGuard
{
    private readonly Action _release;
    private readonly string _name;
    private int _count = 1; // the owner's reference, dropped by Dispose
    private int _disposed;

    public InFlightGuard(string name, Action release)
    {
        _name = name;
        _release = release;
    }

    /// <summary>Enters a call; throws <see cref="ObjectDisposedException"/> once the backend is disposed.</summary>
    public void Enter()
    {
        while (true)
        {
            var count = Volatile.Read(ref _count);
            if (count == 0 || Volatile.Read(ref _disposed) != 0)
            {
                throw new ObjectDisposedException(_name, $"the backend {_name} was unloaded; get it again from the backend cache");
            }

            if (Interlocked.CompareExchange(ref _count, count + 1, count) == count)
            {
                return;
            }
        }
    }

    /// <summary>Leaves a call entered with <see cref="Enter"/>.</summary>
    public void Exit()
    {
        if (Interlocked.Decrement(ref _count) == 0)
        {
            _release();
        }
    }

    /// <summary>Marks the backend disposed; its resources are released now or when the last call leaves.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Exit();
        }
    }
}
