/** Provider probing: a provider that cannot start is reported in one clean line (no C++ locations, no assertion text). */
import { describe, expect, it } from 'vitest';
import { cleanProviderError, probeProvider } from '../../src/adapters/onnx/providerProbe.ts';

describe('cleanProviderError', () => {
  it('condenses the WebGPU adapter assertion and names the missing Vulkan library from the native stderr', () => {
    const message =
      '/onnxruntime_src/onnxruntime/core/providers/webgpu/webgpu_context.cc:136 onnxruntime::webgpu::WebGpuContext::Initialize(const onnxruntime::webgpu::WebGpuContextConfig&)::<lambda()> adapter_result.status == wgpu::RequestAdapterStatus::Success was false. Failed to get a WebGPU adapter: No supported adapters';
    const stderr = "Warning: Couldn't load Vulkan: libvulkan.so.1: cannot open shared object file: No such file or directory\n    at operator() (/build/Release/_deps/dawn-src/src/dawn/native/vulkan/BackendVk.cpp:368)\n";
    expect(cleanProviderError(message, stderr)).toBe('Failed to get a WebGPU adapter: No supported adapters (libvulkan.so.1 not found)');
  });

  it('keeps the loader message of a CUDA library that cannot load, without the source location', () => {
    const message =
      '/onnxruntime_src/onnxruntime/core/session/provider_bridge_ort.cc:1862 onnxruntime::Provider& onnxruntime::ProviderLibrary::Get() [ONNXRuntimeError] : 1 : FAIL : Failed to load library libonnxruntime_providers_cuda.so with error: libcublasLt.so.12: cannot open shared object file: No such file or directory';
    const text = cleanProviderError(message);
    expect(text).not.toMatch(/\.cc:\d+|\[/);
    expect(text).toContain('libcublasLt.so.12: cannot open shared object file');
  });
});

describe('probeProvider', () => {
  it('cpu is always available; other answers are cached and, when negative, carry a one-line reason', () => {
    expect(probeProvider('cpu')).toEqual({ ok: true });
    const first = probeProvider('webgpu');
    expect(probeProvider('webgpu')).toBe(first);
    if (!first.ok) expect(first.reason).toMatch(/^[^\n]+$/);
    const bogus = probeProvider('no-such-provider');
    expect(bogus.ok).toBe(false);
    expect(bogus.reason).toMatch(/^[^\n]+$/);
  }, 60_000);
});
