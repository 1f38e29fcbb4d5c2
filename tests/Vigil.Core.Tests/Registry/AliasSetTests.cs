using Vigil.Registry;

namespace Vigil.Core.Tests.Registry;

public sealed class AliasSetTests
{
    [Fact]
    public void Promote_MovesChallengerToChampionAndChampionToPrevious()
    {
        var set = new AliasSet(Champion: 1, Challenger: 2, PreviousChampion: null, Revision: 5);
        var promoted = set.Promote().Unwrap();
        Assert.Equal(new AliasSet(2, null, 1, 5), promoted);
    }

    [Fact]
    public void Promote_WithoutChallenger_IsAConflict()
    {
        var result = new AliasSet(1, null, null, 0).Promote();
        Assert.Equal(FailureKind.Conflict, result.Failure!.Kind);
    }

    [Fact]
    public void Rollback_SwapsChampionAndPrevious_SoItCanBeUndone()
    {
        var set = new AliasSet(2, 3, 1, 0);
        var once = set.Rollback().Unwrap();
        Assert.Equal(new AliasSet(1, 3, 2, 0), once);
        Assert.Equal(set, once.Rollback().Unwrap());
    }

    [Fact]
    public void Rollback_WithoutPrevious_IsAConflict() =>
        Assert.Equal(FailureKind.Conflict, new AliasSet(1, null, null, 0).Rollback().Failure!.Kind);

    [Fact]
    public void SetChampion_KeepsTheReplacedOneForRollback()
    {
        var set = new AliasSet(1, 2, null, 0).With(AliasNames.Champion, 2).Unwrap();
        Assert.Equal(new AliasSet(2, null, 1, 0), set);
    }

    [Fact]
    public void SetChallenger_ToTheChampion_IsRefused() =>
        Assert.Equal(FailureKind.Conflict, new AliasSet(1, null, null, 0).With(AliasNames.Challenger, 1).Failure!.Kind);

    [Fact]
    public void ChangesFrom_ListsOnlyMovedAliases()
    {
        var before = new AliasSet(1, 2, null, 0);
        var after = before.Promote().Unwrap();
        var changes = after.ChangesFrom(before);
        Assert.Equal(
            [(AliasNames.Champion, (int?)1, (int?)2), (AliasNames.Challenger, 2, null), (AliasNames.PreviousChampion, null, 1)],
            changes);
    }
}
