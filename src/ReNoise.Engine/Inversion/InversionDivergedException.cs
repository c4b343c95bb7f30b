namespace ReNoise.Engine.Inversion;

/// <summary>
/// The inversion produced non-finite values (NaN or infinity). With real models this happens when
/// the regularization weights are far too large for the predictions' scale; the message says
/// where, so the user can lower them instead of receiving a garbage latent.
/// </summary>
public sealed class InversionDivergedException(string message) : Exception(message);
