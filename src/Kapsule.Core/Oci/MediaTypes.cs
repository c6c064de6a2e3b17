namespace Kapsule.Oci
{
    /// <summary>Media types Kapsule reads and writes (OCI image-spec, Docker v2.2, ModelPack, Ollama).</summary>
    public static class MediaTypes
    {
        public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
        public const string OciIndex = "application/vnd.oci.image.index.v1+json";
        public const string OciConfig = "application/vnd.oci.image.config.v1+json";
        public const string OciEmpty = "application/vnd.oci.empty.v1+json";
        public const string OciLayerTar = "application/vnd.oci.image.layer.v1.tar";
        public const string OciLayerTarGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
        public const string OciLayout = "application/vnd.oci.layout.header.v1+json";

        public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
        public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
        public const string DockerConfig = "application/vnd.docker.container.image.v1+json";
        public const string DockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";

        public const string ModelManifestArtifact = "application/vnd.cncf.model.manifest.v1+json";
        public const string ModelConfig = "application/vnd.cncf.model.config.v1+json";
        public const string ModelWeightRaw = "application/vnd.cncf.model.weight.v1.raw";
        public const string ModelWeightConfigRaw = "application/vnd.cncf.model.weight.config.v1.raw";
        public const string ModelDocRaw = "application/vnd.cncf.model.doc.v1.raw";

        public const string OllamaModel = "application/vnd.ollama.image.model";
        public const string OllamaTemplate = "application/vnd.ollama.image.template";
        public const string OllamaSystem = "application/vnd.ollama.image.system";
        public const string OllamaParams = "application/vnd.ollama.image.params";
        public const string OllamaMessages = "application/vnd.ollama.image.messages";
        public const string OllamaLicense = "application/vnd.ollama.image.license";
        public const string OllamaAdapter = "application/vnd.ollama.image.adapter";
        public const string OllamaProjector = "application/vnd.ollama.image.projector";

        public const string EncryptedSuffix = "+encrypted";

        public static bool IsManifest(string? mediaType) => mediaType == OciManifest || mediaType == DockerManifest;
        public static bool IsIndex(string? mediaType) => mediaType == OciIndex || mediaType == DockerManifestList;
        public static bool IsEncrypted(string? mediaType) => mediaType != null && mediaType.EndsWith(EncryptedSuffix, System.StringComparison.Ordinal);
    }

    /// <summary>Annotation keys.</summary>
    public static class Annotations
    {
        public const string RefName = "org.opencontainers.image.ref.name";
        public const string Title = "org.opencontainers.image.title";
        public const string Created = "org.opencontainers.image.created";
        public const string ModelFilePath = "org.cncf.model.filepath";
        public const string EncKeysPrefix = "org.opencontainers.image.enc.keys.";
        public const string EncPubOpts = "org.opencontainers.image.enc.pubopts";
    }
}
