// The document pages' Print button (a file, not inline: the CSP allows scripts from 'self' only).
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("[data-print]")) {
    button.addEventListener("click", () => window.print());
  }
});
