/** Apple keyboards label the shortcut with ⌘ rather than Ctrl. */
export function isApplePlatform(): boolean {
  if (typeof navigator === "undefined") return false;
  const platform =
    (navigator as Navigator & { userAgentData?: { platform?: string } }).userAgentData?.platform ??
    navigator.platform;
  return /mac|iphone|ipad|ipod/i.test(platform);
}

/**
 * Ctrl+K, or ⌘K on a Mac: opens "Jump to…". Matched on the physical key too, so it works on
 * keyboard layouts where that key types another letter.
 */
export function isJumpShortcut(e: KeyboardEvent): boolean {
  if (!(e.ctrlKey || e.metaKey) || e.altKey || e.shiftKey) return false;
  return e.key.toLowerCase() === "k" || e.code === "KeyK";
}

export function jumpShortcutLabel(): string {
  return isApplePlatform() ? "⌘ K" : "Ctrl K";
}
