namespace Kapsule.Modelfile
{
    /// <summary>
    /// REQUIRES versions, checked as Ollama checks them: an optional 'v', then what golang.org/x/mod/semver
    /// accepts: MAJOR[.MINOR[.PATCH[-PRERELEASE][+BUILD]]] with no leading zeros (the short forms 1 and 1.2 included).
    /// </summary>
    internal static class Semver
    {
        /// <summary>Checks <paramref name="text"/> and returns it without the 'v' prefix, as Ollama stores it.</summary>
        public static bool TryNormalize(string text, out string version)
        {
            version = text.StartsWith("v", System.StringComparison.Ordinal) ? text.Substring(1) : text;
            return IsValid(version);
        }

        private static bool IsValid(string v)
        {
            int i = 0;
            if (!Number(v, ref i)) return false;
            if (i == v.Length) return true;
            if (v[i] != '.') return false;
            i++;
            if (!Number(v, ref i)) return false;
            if (i == v.Length) return true;
            if (v[i] != '.') return false;
            i++;
            if (!Number(v, ref i)) return false;
            if (i < v.Length && v[i] == '-')
            {
                i++;
                if (!Identifiers(v, ref i, prerelease: true)) return false;
            }
            if (i < v.Length && v[i] == '+')
            {
                i++;
                if (!Identifiers(v, ref i, prerelease: false)) return false;
            }
            return i == v.Length;
        }

        private static bool Number(string v, ref int i)
        {
            int start = i;
            while (i < v.Length && v[i] >= '0' && v[i] <= '9') i++;
            if (i == start) return false;
            return !(v[start] == '0' && i - start > 1);
        }

        private static bool Identifiers(string v, ref int i, bool prerelease)
        {
            while (true)
            {
                int start = i;
                bool allDigits = true;
                while (i < v.Length && IsIdentChar(v[i]))
                {
                    if (v[i] < '0' || v[i] > '9') allDigits = false;
                    i++;
                }
                if (i == start) return false;
                if (prerelease && allDigits && v[start] == '0' && i - start > 1) return false;
                if (i < v.Length && v[i] == '.')
                {
                    i++;
                    continue;
                }
                return true;
            }
        }

        private static bool IsIdentChar(char c)
            => (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
    }
}
