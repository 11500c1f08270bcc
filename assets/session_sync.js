// Signing out in one tab tells this browser's other tabs (pmo_saas.identity.auth_state):
// each leaves for the sign-in page, where its next event finds no session and resets its state.
(() => {
  if (!("BroadcastChannel" in window)) return;
  const channel = new BroadcastChannel("pmo_session");
  channel.onmessage = (message) => {
    // A channel hears the other channels of its own tab too: the signing-out tab stays put.
    if (message.data === "signed-out" && !window.pmoSigningOut) window.location.assign("/signin");
  };
})();
