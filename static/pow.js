// The signing form's proof of work (campaign_engine/proof_of_work.py): when the form asks
// for one, fetch a challenge from our own server, find a nonce whose SHA-256 starts with
// enough zero bits, put both in the form, then send it. Nothing leaves for anyone else.
(function () {
  "use strict";

  function zeroBits(bytes) {
    let bits = 0;
    for (const byte of bytes) {
      if (byte === 0) { bits += 8; continue; }
      return bits + Math.clz32(byte) - 24;
    }
    return bits;
  }

  async function solve(challenge, difficulty) {
    const encoder = new TextEncoder();
    for (let nonce = 0; ; nonce++) {
      const digest = await crypto.subtle.digest("SHA-256", encoder.encode(challenge + ":" + nonce));
      if (zeroBits(new Uint8Array(digest)) >= difficulty) return String(nonce);
    }
  }

  for (const form of document.querySelectorAll("form[data-proof-of-work]")) {
    let solved = false;
    form.addEventListener("submit", async (event) => {
      if (solved) return;
      event.preventDefault();
      const button = form.querySelector("button[type=submit]");
      if (button) { button.disabled = true; button.setAttribute("aria-busy", "true"); }
      try {
        const answer = await fetch(form.dataset.proofOfWork, { credentials: "omit", cache: "no-store" });
        const { challenge, difficulty } = await answer.json();
        form.elements.pow_challenge.value = challenge;
        form.elements.pow_nonce.value = await solve(challenge, difficulty);
      } catch (error) {
        // Sent without it: the signature is kept, only suspected. Never lose a signer.
      }
      solved = true;
      if (button) { button.disabled = false; button.removeAttribute("aria-busy"); }
      form.requestSubmit ? form.requestSubmit(button || undefined) : form.submit();
    });
  }
})();
