namespace Vigil.Registry;

/// <summary>The names of the aliases a service has.</summary>
public static class AliasNames
{
    /// <summary>The version that serves users.</summary>
    public const string Champion = "champion";

    /// <summary>The candidate.</summary>
    public const string Challenger = "challenger";

    /// <summary>The last champion, kept for instant rollback.</summary>
    public const string PreviousChampion = "previous-champion";

    public static IReadOnlyList<string> All { get; } = [Champion, Challenger, PreviousChampion];

    public static bool IsKnown(string name) => name is Champion or Challenger or PreviousChampion;
}

/// <summary>
/// The aliases of one service and the revision they were read at. Every change goes through
/// <see cref="IRegistryStore.UpdateAliasesAsync"/> with the revision it started from, so two concurrent
/// changes cannot both win.
/// </summary>
public sealed record AliasSet(int? Champion, int? Challenger, int? PreviousChampion, long Revision)
{
    public static AliasSet Empty { get; } = new(null, null, null, 0);

    public int? Get(string alias) => alias switch
    {
        AliasNames.Champion => Champion,
        AliasNames.Challenger => Challenger,
        AliasNames.PreviousChampion => PreviousChampion,
        _ => throw new ArgumentOutOfRangeException(nameof(alias), alias, "unknown alias"),
    };

    /// <summary>challenger → champion, champion → previous-champion; the challenger alias is cleared.</summary>
    public Result<AliasSet> Promote()
    {
        if (Challenger is not { } challenger)
        {
            return Failure.Conflict("there is no challenger to promote; set one with 'vigil models alias SERVICE challenger VERSION'");
        }

        return Result<AliasSet>.Ok(this with { Champion = challenger, PreviousChampion = Champion, Challenger = null });
    }

    /// <summary>Swaps champion and previous-champion, so a rollback can itself be rolled back.</summary>
    public Result<AliasSet> Rollback()
    {
        if (PreviousChampion is not { } previous)
        {
            return Failure.Conflict("there is no previous champion to roll back to");
        }

        return Result<AliasSet>.Ok(this with { Champion = previous, PreviousChampion = Champion });
    }

    /// <summary>Points <paramref name="alias"/> at <paramref name="version"/> (null clears it).</summary>
    public Result<AliasSet> With(string alias, int? version)
    {
        switch (alias)
        {
            case AliasNames.Champion:
                if (version == Champion)
                {
                    return Result<AliasSet>.Ok(this);
                }

                // Setting the champion directly keeps the one it replaces for rollback.
                return Result<AliasSet>.Ok(this with
                {
                    Champion = version,
                    PreviousChampion = Champion ?? PreviousChampion,
                    Challenger = Challenger == version ? null : Challenger,
                });
            case AliasNames.Challenger:
                if (version is not null && version == Champion)
                {
                    return Failure.Conflict($"version {version} is already the champion; a challenger must differ from the champion");
                }

                return Result<AliasSet>.Ok(this with { Challenger = version });
            case AliasNames.PreviousChampion:
                return Result<AliasSet>.Ok(this with { PreviousChampion = version });
            default:
                return Failure.Invalid($"unknown alias '{alias}': use champion, challenger or previous-champion");
        }
    }

    /// <summary>The alias changes from <paramref name="before"/> to this set, one per alias that moved.</summary>
    public IReadOnlyList<(string Alias, int? From, int? To)> ChangesFrom(AliasSet before)
    {
        ArgumentNullException.ThrowIfNull(before);
        var changes = new List<(string, int?, int?)>();
        foreach (var alias in AliasNames.All)
        {
            var from = before.Get(alias);
            var to = Get(alias);
            if (from != to)
            {
                changes.Add((alias, from, to));
            }
        }

        return changes;
    }
}

/// <summary>One move of one alias, kept forever: answers "which version served users at time T?".</summary>
public sealed record AliasChange(
    string Service,
    string Alias,
    int? FromVersion,
    int? ToVersion,
    DateTimeOffset At,
    string Actor,
    string Action,
    string? Reason);
