// Behaviour that would otherwise be inline script, which the Content-Security-Policy forbids.
"use strict";

// <button data-confirm="…">: ask before the form is sent.
document.addEventListener("click", function (event) {
  const button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) {
    event.preventDefault();
  }
});

// <select data-province-select hx-get="…region_options…">: the counties request names the chosen
// province as `province` (what htmx's eval-based `hx-vals="js:…"` did; eval is off under the CSP).
document.addEventListener("htmx:configRequest", function (event) {
  const element = event.detail.elt;
  if (element.matches("[data-province-select]")) {
    event.detail.parameters.province = element.value;
  }
});

// 出生日期和性别由身份证自动带出: as a valid 18-digit resident ID number is typed, fill the birth date
// and gender fields that are empty or were filled from the number (the server does the same on save
// and warns when a typed value differs).
function residentId(value) {
  const number = value.trim().toUpperCase();
  if (!/^[0-9]{17}[0-9X]$/.test(number)) {
    return null;
  }
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  let sum = 0;
  for (let i = 0; i < 17; i += 1) {
    sum += Number(number[i]) * weights[i];
  }
  if ("10X98765432"[sum % 11] !== number[17]) {
    return null;
  }
  const birth = number.slice(6, 10) + "-" + number.slice(10, 12) + "-" + number.slice(12, 14);
  return { birth: birth, gender: Number(number[16]) % 2 ? "M" : "F" };
}

document.addEventListener("change", function (event) {
  const input = event.target;
  if (!input.matches("[data-id-number]")) {
    return;
  }
  const form = input.form;
  const typeSelect = form.querySelector("[name='basic.id_type']");
  const stated = typeSelect && typeSelect.value !== "resident_id" ? null : residentId(input.value);
  if (!stated) {
    return;
  }
  const birth = form.querySelector("[data-from-id='birth_date']");
  if (birth && (birth.readOnly || !birth.value)) {
    birth.value = stated.birth;
  }
  form.querySelectorAll("[data-from-id='gender']").forEach(function (gender) {
    if (gender.type === "hidden" || !gender.value) {
      gender.value = stated.gender;
    }
  });
  const shown = form.querySelector("[data-from-id-shown='gender']");
  if (shown) {
    shown.value = stated.gender === "M" ? "男" : "女";
  }
});
