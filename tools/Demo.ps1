# Kapsule's main job on the sample model, with the local store under output/ (no registry needed).
# It grows with the project: today it packs the sample model's files into the store as a ModelPack
# image through the store API, lists the image and verifies every blob.
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $OutputPath
)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath -Force

$store = Join-Path $OutputPath 'demo-store'
if (Test-Path $store) { Remove-Item -LiteralPath $store -Recurse -Force }
$env:KAPSULE_STORE = $store
$model = (Resolve-Path (Join-Path $PSScriptRoot '../test_fixtures/testmodel')).Path
$reference = 'localhost/kapsule/testmodel:demo'

Write-Host "Packing $model into $store as $reference" -ForegroundColor Cyan
$s = [Kapsule.Content.OciLayoutStore]::new($store)
$assembler = [Kapsule.Content.ImageAssembler]::new($s, [Threading.CancellationToken]::None)
try {
    $weights = $assembler.AddFileAsync((Join-Path $model 'test.gguf'), 'application/vnd.cncf.model.weight.v1.raw', 'test.gguf', $null, [Threading.CancellationToken]::None).GetAwaiter().GetResult()
    $modelfile = $assembler.AddFileAsync((Join-Path $model 'modelfile'), 'application/vnd.cncf.model.doc.v1.raw', 'modelfile', $null, [Threading.CancellationToken]::None).GetAwaiter().GetResult()
    $config = [ordered]@{
        descriptor = [ordered]@{ name = 'testmodel' }
        config     = [ordered]@{ format = 'gguf' }
        modelfs    = [ordered]@{ type = 'layers'; diffIds = @("$($weights.Digest)", "$($modelfile.Digest)") }
    } | ConvertTo-Json -Compress -Depth 5
    $null = $assembler.CommitAsync($reference, [Text.Encoding]::UTF8.GetBytes($config),
        'application/vnd.cncf.model.config.v1+json', 'application/vnd.oci.image.manifest.v1+json',
        'application/vnd.cncf.model.manifest.v1+json', $null, [Threading.CancellationToken]::None).GetAwaiter().GetResult()
}
finally {
    $assembler.Dispose()
}

Write-Host "`nImages in the store:" -ForegroundColor Cyan
Get-KapsuleImage | Format-Table | Out-Host
Write-Host "Layers of ${reference}:" -ForegroundColor Cyan
(Get-KapsuleImage $reference).Layers | Format-Table | Out-Host

Write-Host "Verifying every blob:" -ForegroundColor Cyan
$result = Test-KapsuleImage $reference
$result.Blobs | Format-Table Role, ExpectedDigest, ExpectedSize, Ok | Out-Host
if (-not $result.Passed) { throw "The demo image failed verification." }
Write-Host "Demo passed: $reference is in $store and every digest verifies." -ForegroundColor Green
