using System;
using System.Collections.Generic;
using System.Text;

namespace Kapsule.Registry
{
    /// <summary>
    /// One WWW-Authenticate challenge (RFC 7235): a scheme and its parameters, e.g.
    /// <c>Bearer realm="https://auth.example/token",service="registry",scope="repository:a/b:pull"</c>.
    /// </summary>
    public sealed class AuthChallenge
    {
        public AuthChallenge(string scheme, IDictionary<string, string> parameters)
        {
            Scheme = scheme;
            Parameters = new Dictionary<string, string>(parameters, StringComparer.OrdinalIgnoreCase);
        }

        public string Scheme { get; }
        public IReadOnlyDictionary<string, string> Parameters { get; }
        public bool IsBasic => string.Equals(Scheme, "Basic", StringComparison.OrdinalIgnoreCase);
        public bool IsBearer => string.Equals(Scheme, "Bearer", StringComparison.OrdinalIgnoreCase);
        public string? Realm => Get("realm");
        public string? Service => Get("service");
        public string? Scope => Get("scope");
        public string? Error => Get("error");

        public string? Get(string name) => Parameters.TryGetValue(name, out var v) ? v : null;

        /// <summary>Parses one header value, which may hold several challenges.</summary>
        public static IReadOnlyList<AuthChallenge> Parse(string header)
        {
            var result = new List<AuthChallenge>();
            int i = 0;
            string? scheme = null;
            var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            while (i < header.Length)
            {
                SkipSpaceAndCommas(header, ref i);
                if (i >= header.Length) break;
                string token = ReadToken(header, ref i);
                if (token.Length == 0) { i++; continue; }
                SkipSpace(header, ref i);
                if (i < header.Length && header[i] == '=' && scheme != null)
                {
                    i++;
                    SkipSpace(header, ref i);
                    parameters[token] = i < header.Length && header[i] == '"' ? ReadQuoted(header, ref i) : ReadToken(header, ref i);
                }
                else
                {
                    if (scheme != null) result.Add(new AuthChallenge(scheme, parameters));
                    scheme = token;
                    parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                }
            }
            if (scheme != null) result.Add(new AuthChallenge(scheme, parameters));
            return result;
        }

        private static void SkipSpace(string s, ref int i)
        {
            while (i < s.Length && (s[i] == ' ' || s[i] == '\t')) i++;
        }

        private static void SkipSpaceAndCommas(string s, ref int i)
        {
            while (i < s.Length && (s[i] == ' ' || s[i] == '\t' || s[i] == ',')) i++;
        }

        private static string ReadToken(string s, ref int i)
        {
            int start = i;
            while (i < s.Length && s[i] != ' ' && s[i] != '\t' && s[i] != ',' && s[i] != '=' && s[i] != '"') i++;
            return s.Substring(start, i - start);
        }

        private static string ReadQuoted(string s, ref int i)
        {
            var sb = new StringBuilder();
            i++; // opening quote
            while (i < s.Length && s[i] != '"')
            {
                if (s[i] == '\\' && i + 1 < s.Length) i++;
                sb.Append(s[i]);
                i++;
            }
            i++; // closing quote
            return sb.ToString();
        }
    }
}
