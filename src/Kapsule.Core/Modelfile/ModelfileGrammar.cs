using System.Collections.Generic;
using Sprache;

namespace Kapsule.Modelfile
{
    /// <summary>A value as scanned: its text after unquoting, and how it was quoted.</summary>
    internal readonly struct ScannedValue
    {
        public ScannedValue(string text, ModelfileQuoting quoting)
        {
            Text = text;
            Quoting = quoting;
        }

        public string Text { get; }
        public ModelfileQuoting Quoting { get; }
    }

    /// <summary>
    /// The tokens of Ollama's Modelfile as Sprache parsers, over text whose line ends are already '\n'.
    /// The driver (<see cref="ModelfileParser"/>) runs them one after another and turns every failure into an
    /// error at the exact line and column, which Sprache's own Or/Many error reporting would lose.
    /// </summary>
    internal static class ModelfileGrammar
    {
        internal const string Triple = "\"\"\"";

        internal static bool IsAsciiLetter(char c) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');

        internal static bool IsNameChar(char c) => IsAsciiLetter(c) || (c >= '0' && c <= '9') || c == '_';

        /// <summary>Spaces and tabs: what separates a keyword, a parameter name or a role from what follows.</summary>
        internal static readonly Parser<string> Separator = Parse.Chars(' ', '\t').AtLeastOnce().Text();

        /// <summary>White space before a value, other than a line end (Ollama trims the value with TrimSpace).</summary>
        internal static readonly Parser<string> ValueLead =
            Parse.Char(c => c != '\n' && char.IsWhiteSpace(c), "white space").Many().Text();

        /// <summary>A '#' comment: only where an instruction could start, to the end of the line.</summary>
        internal static readonly Parser<string> Comment =
            from hash in Parse.Char('#')
            from body in Parse.CharExcept('\n').Many().Text()
            select body;

        /// <summary>Blank space, line ends and comments between instructions.</summary>
        internal static readonly Parser<IEnumerable<string>> Trivia =
            Parse.Chars(' ', '\t', '\n').AtLeastOnce().Text().Or(Comment).Many();

        /// <summary>An instruction keyword: ASCII letters, matched case-insensitively afterwards.</summary>
        internal static readonly Parser<string> Keyword =
            Parse.Char(IsAsciiLetter, "an instruction keyword").AtLeastOnce().Text();

        /// <summary>A PARAMETER name: ASCII letters, digits and '_' (case-sensitive).</summary>
        internal static readonly Parser<string> ParameterName =
            Parse.Char(IsNameChar, "a parameter name").AtLeastOnce().Text();

        /// <summary>A MESSAGE role: letters (checked against system/user/assistant afterwards).</summary>
        internal static readonly Parser<string> Role =
            Parse.Char(IsAsciiLetter, "a message role").AtLeastOnce().Text();

        /// <summary>
        /// A value, starting at its first non-blank character (or at the line end for an empty value).
        /// Unquoted: the rest of the line, trimmed. Quoted with <c>"</c> or <c>"""</c> (decided by how it starts):
        /// it runs over lines until the end of a line where the text so far, trailing blanks removed, ends with the
        /// same quote (Ollama's rule, so a quote inside the text is literal). No escapes. A failure is reported
        /// at the opening quote.
        /// </summary>
        internal static readonly Parser<ScannedValue> Value = input =>
        {
            string src = input.Source;
            int start = input.Position;
            if (input.AtEnd || src[start] == '\n')
            {
                return Result.Success(new ScannedValue(string.Empty, ModelfileQuoting.None), input);
            }

            int delim = string.CompareOrdinal(src, start, Triple, 0, 3) == 0 ? 3 : src[start] == '"' ? 1 : 0;
            if (delim == 0)
            {
                int eol = src.IndexOf('\n', start);
                if (eol < 0) eol = src.Length;
                string text = src.Substring(start, eol - start).Trim();
                return Result.Success(new ScannedValue(text, ModelfileQuoting.None), Skip(input, eol - start));
            }

            int from = start;
            while (true)
            {
                int e = src.IndexOf('\n', from);
                if (e < 0) e = src.Length;
                int t = e;
                while (t > start && char.IsWhiteSpace(src[t - 1])) t--;
                int len = t - start;
                if (len >= 2 * delim && EndsWithQuotes(src, t, delim))
                {
                    string text = src.Substring(start + delim, len - 2 * delim);
                    var quoting = delim == 3 ? ModelfileQuoting.Triple : ModelfileQuoting.Double;
                    return Result.Success(new ScannedValue(text, quoting), Skip(input, e - start));
                }
                if (e == src.Length)
                {
                    string q = delim == 3 ? Triple : "\"";
                    return Result.Failure<ScannedValue>(input,
                        $"unterminated {q} string started here; a quoted value ends at a {q} that ends a line",
                        new[] { "closing " + q });
                }
                from = e + 1;
            }
        };

        private static bool EndsWithQuotes(string s, int end, int count)
        {
            for (int i = 1; i <= count; i++)
            {
                if (s[end - i] != '"') return false;
            }
            return true;
        }

        internal static IInput Skip(IInput input, int count)
        {
            for (int i = 0; i < count; i++) input = input.Advance();
            return input;
        }
    }
}
