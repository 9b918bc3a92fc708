// The keys a person may be looked up by in the Feishu directory (批量绑定, `npx duban people`): emails and mainland
// mobiles, recognised and normalised the way the directory stores them.

export const isEmail = (s: string) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s);
/** Mainland mobiles with or without +86. */
export const isMobile = (s: string) => /^(\+?86)?1\d{10}$/.test(s.replace(/[\s-]/g, ''));

export const normaliseMobile = (s: string) => s.replace(/[\s-]/g, '').replace(/^\+?86(?=1\d{10}$)/, '');
