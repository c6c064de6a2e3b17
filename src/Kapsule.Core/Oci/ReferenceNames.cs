namespace Kapsule.Oci
{
    /// <summary>Normalises a user's image name for lookups in the store (full Docker form when it parses).</summary>
    public static class ReferenceNames
    {
        public static string Normalize(string name)
        {
            return Reference.TryParse(name, out var r, out _) && r != null ? r.ToString() : name;
        }
    }
}
