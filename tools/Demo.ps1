# Kapsule's main job on the sample model, with the local store under output/ (no registry needed).
# It grows with the project. Today: read the Modelfile, pack the model and every Modelfile setting into
# the store as a ModelPack image (through the store API until Build-KapsuleImage lands), list and verify
# it, copy it to a standalone OCI layout folder (what skopeo and registries read) and back, and check
# that every byte survived.
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $OutputPath
)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath -Force

$store = Join-Path $OutputPath 'demo-store'
$layout = Join-Path $OutputPath 'demo-layout'
foreach ($p in $store, $layout) { if (Test-Path $p) { Remove-Item -LiteralPath $p -Recurse -Force } }
$env:KAPSULE_STORE = $store
$model = (Resolve-Path (Join-Path $PSScriptRoot '../test_fixtures/testmodel')).Path
$reference = 'localhost/kapsule/testmodel:demo'
$ct = [Threading.CancellationToken]::None

Write-Host "1. Reading $model/modelfile" -ForegroundColor Cyan
$modelfile = ConvertFrom-KapsuleModelfile -Path (Join-Path $model 'modelfile')
$modelfile | Format-List From, Template, System, Parameters | Out-Host

Write-Host "2. Packing it into $store as $reference" -ForegroundColor Cyan
$from = [Kapsule.Modelfile.FromResolver]::Resolve($modelfile.From, $model)
if ("$($from.Kind)" -ne 'File') { throw "The sample model's FROM should be a file, not $($from.Kind)." }
$s = [Kapsule.Content.OciLayoutStore]::new($store)
$assembler = [Kapsule.Content.ImageAssembler]::new($s, $ct)
try {
    $utf8 = [Text.UTF8Encoding]::new($false)
    $weights = $assembler.AddFileAsync($from.FullPath, 'application/vnd.cncf.model.weight.v1.raw', (Split-Path $from.FullPath -Leaf), $null, $ct).GetAwaiter().GetResult()
    $ids = @("$($weights.Digest)")
    # Settings ModelPack has no slot for travel as layers with Ollama's media types, so nothing is lost.
    $settings = [ordered]@{
        'application/vnd.ollama.image.template' = $modelfile.Template
        'application/vnd.ollama.image.system'   = $modelfile.System
        'application/vnd.ollama.image.params'   = ($modelfile.ToParameterDictionary() | ConvertTo-Json -Compress)
        'application/vnd.ollama.image.license'  = ($modelfile.Licenses -join "`n")
    }
    foreach ($mediaType in $settings.Keys) {
        if ([string]::IsNullOrEmpty($settings[$mediaType])) { continue }
        $d = $assembler.AddBytesAsync($utf8.GetBytes($settings[$mediaType]), $mediaType, $ct).GetAwaiter().GetResult()
        $ids += "$($d.Digest)"
    }
    $config = [ordered]@{
        descriptor = [ordered]@{ name = 'testmodel' }
        config     = [ordered]@{ format = 'gguf' }
        modelfs    = [ordered]@{ type = 'layers'; diffIds = $ids }
    } | ConvertTo-Json -Compress -Depth 5
    $null = $assembler.CommitAsync($reference, $utf8.GetBytes($config),
        'application/vnd.cncf.model.config.v1+json', 'application/vnd.oci.image.manifest.v1+json',
        'application/vnd.cncf.model.manifest.v1+json', $null, $ct).GetAwaiter().GetResult()
}
finally {
    $assembler.Dispose()
}

Write-Host "3. The image and its layers" -ForegroundColor Cyan
$image = Get-KapsuleImage $reference
$image | Format-Table | Out-Host
$image.Layers | Format-Table | Out-Host

Write-Host "4. Verifying every blob" -ForegroundColor Cyan
$result = Test-KapsuleImage $reference
$result.Blobs | Format-Table Role, ExpectedDigest, ExpectedSize, Ok | Out-Host
if (-not $result.Passed) { throw 'The demo image failed verification.' }

Write-Host "5. Copying it to the OCI layout folder $layout and back" -ForegroundColor Cyan
Publish-KapsuleImage $reference -Destination "oci:${layout}:demo"
Remove-KapsuleImage $reference -Confirm:$false
$back = Get-KapsuleModel "oci:${layout}:demo" -Name $reference
if ($back.Digest -ne $image.Digest) { throw "The round trip changed the image: $($image.Digest) -> $($back.Digest)." }
if (-not (Test-KapsuleImage $reference -Quiet)) { throw 'The image read back from the folder failed verification.' }
$template = [IO.File]::ReadAllText((Join-Path $store ('blobs/sha256/' + ($back.Layers | Where-Object Kind -eq Template).Digest.Substring(7))))
if ($template -ne $modelfile.Template) { throw 'The template layer does not hold the Modelfile template.' }

Write-Host "Demo passed: $reference ($($back.Digest)) went store -> oci:$layout -> store unchanged; every digest verifies." -ForegroundColor Green
