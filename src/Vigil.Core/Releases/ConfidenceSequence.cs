namespace Vigil.Releases;

/// <summary>An estimate with the bounds of its confidence interval (or, here, of a confidence sequence at one time).</summary>
public readonly record struct ConfidenceInterval(double Estimate, double Lower, double Upper)
{
    /// <summary>Upper − lower.</summary>
    public double Width => Upper - Lower;
}

/// <summary>
/// Always-valid confidence sequences for proportions and differences of proportions (docs/releases.md, "Statistics"):
/// intervals that may be looked at after every analysis tick without inflating the error rate, because the guarantee
/// holds uniformly over time — P(∃t: θ ∉ CI_t) ≤ α — rather than at one pre-planned sample size.
/// </summary>
/// <remarks>
/// <para>
/// The boundary is the two-sided normal mixture of Robbins (1970), in the form of Howard, Ramdas, McAuliffe and Sekhon,
/// "Time-uniform, nonparametric, nonasymptotic confidence sequences", Ann. Statist. 49(2), 2021: for a process
/// S_t = Σ(X_i − θ) with variance process V_t, mixing exp(λS_t − λ²V_t/2) over λ ~ N(0, 1/ρ) gives the nonnegative
/// martingale M_t = √(ρ/(V_t+ρ)) · exp(S_t²/(2(V_t+ρ))), and Ville's inequality gives, with probability ≥ 1 − α,
/// for all t at once, |S_t| &lt; √((V_t + ρ) · ln((V_t + ρ)/(ρα²))) (<see cref="NormalMixtureBoundary"/>). This is also
/// the mixture sequential probability ratio test of Johari, Koomen, Pekelis and Walsh, "Peeking at A/B tests",
/// KDD 2017 / Operations Research 70(3), 2022, with a normal mixing distribution of variance τ² = σ²/ρ per observation.
/// </para>
/// <para>
/// In the units of an estimate θ̂ with standard error s after n samples, the interval is
/// θ̂ ± s · κ(n), κ(n) = √((1 + ρ/n) · ln((1 + n/ρ)/α²)) (<see cref="Multiplier"/>): κ replaces the fixed-sample 1.96.
/// The variance is plugged in (Bernoulli variance of Laplace-smoothed shares, p̃ = (x+1)/(n+2), so it is never 0):
/// that makes the guarantee asymptotic, as in the asymptotic confidence sequences of Waudby-Smith, Arbour, Sinha,
/// Kennedy and Ramdas, "Time-uniform central limit theory and asymptotic confidence sequences", Ann. Statist. 52(6), 2024,
/// and as in Johari et al.'s mSPRT for Bernoulli data. Vigil checks the error rate it actually achieves by simulation
/// (tests/Vigil.Core.Tests/Releases/SequentialSimulationTests).
/// </para>
/// <para>
/// ρ, the mixing parameter, sets where the boundary is tightest; it is tuned so that the width is smallest when n
/// reaches the expected sample size n* (a release uses min_samples_per_step): ρ = r(α) · n*, where r(α) minimises
/// (1 + r) · (ln(1 + 1/r) + 2 ln(1/α)), i.e. solves ln(1 + 1/r) + 2 ln(1/α) = 1/r (<see cref="OptimalRhoRatio"/>;
/// r(0.05) ≈ 0.1218, so κ(n*) ≈ 3.04 against the fixed-sample 1.96). Any fixed ρ keeps the guarantee; only power depends on it.
/// </para>
/// </remarks>
public static class ConfidenceSequence
{
    /// <summary>
    /// The two-sided normal-mixture boundary of Howard et al. (2021): √((v + ρ) · ln((v + ρ)/(ρα²))); with probability
    /// at least 1 − α, |S_t| stays below it at every t for a process with variance process v = V_t.
    /// </summary>
    public static double NormalMixtureBoundary(double v, double alpha, double rho)
    {
        CheckAlpha(alpha);
        if (!(rho > 0) || !(v >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(rho), "v must be ≥ 0 and ρ > 0");
        }

        return Math.Sqrt((v + rho) * Math.Log((v + rho) / (rho * alpha * alpha)));
    }

    /// <summary>
    /// r(α) such that ρ = r · n* makes the boundary tightest at n = n*: the root of ln(1 + u) + 2 ln(1/α) = u, r = 1/u.
    /// </summary>
    public static double OptimalRhoRatio(double alpha)
    {
        CheckAlpha(alpha);

        // Releases use a handful of confidences; remember the last one (an immutable pair, so safe across threads).
        if (_lastRatio is { } last && last.Alpha == alpha)
        {
            return last.Ratio;
        }

        var ratio = SolveRatio(alpha);
        _lastRatio = new RatioCache(alpha, ratio);
        return ratio;
    }

    private static RatioCache? _lastRatio;

    private sealed record RatioCache(double Alpha, double Ratio);

    private static double SolveRatio(double alpha)
    {
        var l = -2 * Math.Log(alpha);

        // h(u) = ln(1 + u) + l − u is decreasing for u > 0, positive at u = 0 and negative for large u: bisect.
        double lo = 0, hi = 1;
        while (Math.Log(1 + hi) + l - hi > 0)
        {
            hi *= 2;
        }

        for (var i = 0; i < 200 && hi - lo > 1e-14 * hi; i++)
        {
            var mid = 0.5 * (lo + hi);
            if (Math.Log(1 + mid) + l - mid > 0)
            {
                lo = mid;
            }
            else
            {
                hi = mid;
            }
        }

        return 1 / (0.5 * (lo + hi));
    }

    /// <summary>ρ tuned to an expected sample size: r(α) · n*.</summary>
    public static double Rho(double alpha, double targetSamples)
    {
        if (!(targetSamples >= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(targetSamples), targetSamples, "the expected sample size must be at least 1");
        }

        return OptimalRhoRatio(alpha) * targetSamples;
    }

    /// <summary>κ(n) = √((1 + ρ/n) · ln((1 + n/ρ)/α²)): the number of standard errors on each side of the estimate after n samples.</summary>
    public static double Multiplier(double samples, double alpha, double rho)
    {
        CheckAlpha(alpha);
        if (!(samples > 0) || !(rho > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(samples), "n and ρ must be positive");
        }

        return Math.Sqrt((1 + (rho / samples)) * Math.Log((1 + (samples / rho)) / (alpha * alpha)));
    }

    /// <summary>The Bernoulli variance used for a share of <paramref name="events"/> in <paramref name="trials"/>: p̃(1 − p̃), p̃ = (x + 1)/(n + 2).</summary>
    public static double SmoothedVariance(long events, long trials)
    {
        var p = (events + 1.0) / (trials + 2.0);
        return p * (1 - p);
    }

    /// <summary>
    /// The confidence sequence for a share p at this time: x/n ± κ(n) · √(p̃(1 − p̃)/n), clipped to [0, 1], with
    /// ρ = r(α) · <paramref name="targetSamples"/>. Null when there are no trials.
    /// </summary>
    public static ConfidenceInterval? Proportion(long events, long trials, double alpha, double targetSamples)
    {
        CheckCounts(events, trials);
        if (trials == 0)
        {
            return null;
        }

        var estimate = (double)events / trials;
        var se = Math.Sqrt(SmoothedVariance(events, trials) / trials);
        var half = se * Multiplier(trials, alpha, Rho(alpha, targetSamples));
        return new ConfidenceInterval(estimate, Math.Max(0, estimate - half), Math.Min(1, estimate + half));
    }

    /// <summary>
    /// The confidence sequence for the difference of shares p_a − p_b (challenger minus control) at this time:
    /// x_a/n_a − x_b/n_b ± κ(n_a) · √(p̃_a(1 − p̃_a)/n_a + p̃_b(1 − p̃_b)/n_b), clipped to [−1, 1]; time is counted in
    /// challenger samples n_a, with ρ = r(α) · <paramref name="targetSamples"/>. Null when either arm has no trials.
    /// </summary>
    public static ConfidenceInterval? Difference(long eventsA, long trialsA, long eventsB, long trialsB, double alpha, double targetSamples)
    {
        CheckCounts(eventsA, trialsA);
        CheckCounts(eventsB, trialsB);
        if (trialsA == 0 || trialsB == 0)
        {
            return null;
        }

        var estimate = ((double)eventsA / trialsA) - ((double)eventsB / trialsB);
        var se = Math.Sqrt((SmoothedVariance(eventsA, trialsA) / trialsA) + (SmoothedVariance(eventsB, trialsB) / trialsB));
        var half = se * Multiplier(trialsA, alpha, Rho(alpha, targetSamples));
        return new ConfidenceInterval(estimate, Math.Max(-1, estimate - half), Math.Min(1, estimate + half));
    }

    private static void CheckAlpha(double alpha)
    {
        if (!(alpha > 0 && alpha < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "α must be in (0, 1)");
        }
    }

    private static void CheckCounts(long events, long trials)
    {
        if (trials < 0 || events < 0 || events > trials)
        {
            throw new ArgumentOutOfRangeException(nameof(events), $"counts must satisfy 0 ≤ events ≤ trials (got {events} of {trials})");
        }
    }
}
