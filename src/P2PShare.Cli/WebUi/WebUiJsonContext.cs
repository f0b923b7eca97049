using System.Text.Json;
using System.Text.Json.Serialization;

namespace P2PShare.Cli.WebUi;

/// <summary>
/// The web UI's JSON answers, generated at compile time for the Native AOT build. Camel case, as ASP.NET Core's
/// default web options wrote them and as the page's scripts read them.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(SessionIdEndpoint.SessionIdReply))]
internal sealed partial class WebUiJsonContext : JsonSerializerContext;
