// The board's stylesheet and client script, served by the app itself (no CDN: Feishu's in-app browser on a
// government network may reach nothing else). Versioned by a hash of their text so they can be cached for a year.

export const BOARD_CSS = `
:root{--red:#d93025;--red-bg:#fde8e6;--yellow:#e8a600;--yellow-bg:#fff4cc;--green:#1e8e3e;--green-bg:#e3f4e8;
--ink:#1f2329;--muted:#646a73;--line:#dee0e3;--bg:#f5f6f7;--card:#fff;--accent:#3370ff}
*{box-sizing:border-box}
body{margin:0;font:14px/1.5 "Noto Sans CJK SC","PingFang SC","Microsoft YaHei",system-ui,sans-serif;color:var(--ink);background:var(--bg)}
a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}
header.top{background:#1f3a8a;color:#fff;padding:10px 16px;display:flex;flex-wrap:wrap;gap:4px 16px;align-items:baseline}
header.top h1{font-size:18px;margin:0}header.top .plan{opacity:.85;font-size:13px}
header.top .who{margin-left:auto;font-size:13px}header.top .who a,header.top .who button{color:#fff}
header.top form{display:inline}header.top button{background:none;border:1px solid rgba(255,255,255,.5);border-radius:4px;padding:1px 8px;cursor:pointer;font:inherit}
main{max-width:1240px;margin:0 auto;padding:12px}
.banner{background:var(--yellow-bg);border:1px solid var(--yellow);border-radius:6px;padding:8px 12px;margin-bottom:12px}
details.filter-box{margin-bottom:12px}
details.filter-box>summary{cursor:pointer;color:var(--accent);padding:4px 2px;font-size:13px}
details.filter-box[open]>summary{display:none}
form.filters{display:flex;flex-wrap:wrap;gap:8px;align-items:end;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 12px;margin-bottom:12px}
form.filters label{display:flex;flex-direction:column;font-size:12px;color:var(--muted);gap:2px}
form.filters select,form.filters input{font:inherit;padding:4px 6px;border:1px solid var(--line);border-radius:4px;min-width:7em;background:#fff}
form.filters .go{padding:5px 14px;background:var(--accent);color:#fff;border:0;border-radius:4px;font:inherit;cursor:pointer}
form.filters .reset{align-self:center}
.grid{display:grid;grid-template-columns:repeat(12,1fr);gap:12px}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px 14px;min-width:0}
.card h2{font-size:15px;margin:0 0 8px}.card h2 small{font-weight:normal;color:var(--muted);font-size:12px;margin-left:6px}
.span12{grid-column:span 12}.span8{grid-column:span 8}.span6{grid-column:span 6}.span4{grid-column:span 4}
.kpis{display:flex;flex-wrap:wrap;gap:10px}
.kpi{flex:1 1 120px;border-radius:8px;padding:8px 12px;background:var(--bg)}
.kpi b{display:block;font-size:26px;line-height:1.2}.kpi span{font-size:12px;color:var(--muted)}
.kpi.red{background:var(--red-bg)}.kpi.red b{color:var(--red)}
.kpi.yellow{background:var(--yellow-bg)}.kpi.yellow b{color:#a66f00}
.kpi.green{background:var(--green-bg)}.kpi.green b{color:var(--green)}
.delta{font-size:12px;margin-left:4px}.delta.up{color:var(--red)}.delta.down{color:var(--green)}.delta.flat{color:var(--muted)}
.delta.good{color:var(--green)}.delta.bad{color:var(--red)}
.status-line{color:var(--muted);font-size:13px;margin-top:8px}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;width:100%}
th,td{padding:5px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{font-weight:600;font-size:12px;color:var(--muted);background:#fafbfc;white-space:nowrap}
td.num,th.num{text-align:right;white-space:nowrap}
table.matrix{width:100%;table-layout:auto}
table.matrix th,table.matrix td{text-align:center;border:1px solid #fff;padding:0}
table.matrix th.unit,table.matrix td.unit{width:1%;text-align:left;padding:4px 8px;white-space:nowrap;position:sticky;left:0;background:#fff;z-index:1;border-right:1px solid var(--line)}
table.matrix th.ch{padding:4px 6px;min-width:58px}
table.matrix tr.group td{background:#eef1f5;font-weight:600;text-align:left;padding:3px 8px;font-size:12px;color:var(--muted);position:static}
table.matrix td a{display:block;padding:5px 4px;color:inherit;text-decoration:none;font-weight:600;white-space:nowrap}
td.c-red{background:var(--red);color:#fff}td.c-yellow{background:#f6c343;color:#3d2c00}td.c-green{background:#7cc68d;color:#0d3a18}
td.c-none{background:#f2f3f5;color:#bbb}
table.matrix .den{font-weight:normal;opacity:.85}
td.tot{font-weight:normal;font-size:12px;color:var(--muted);padding:4px 8px!important;white-space:nowrap;background:#fafbfc}
.legend{display:flex;gap:12px;flex-wrap:wrap;font-size:12px;color:var(--muted);margin-bottom:6px}
.legend i{display:inline-block;width:12px;height:12px;border-radius:2px;vertical-align:-2px;margin-right:4px}
.dot{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:4px;vertical-align:0}
.dot.red{background:var(--red)}.dot.yellow{background:#f6c343}.dot.green{background:#7cc68d}
.tag{display:inline-block;font-size:12px;border-radius:3px;padding:0 6px;background:var(--bg);white-space:nowrap}
.tag.red{background:var(--red-bg);color:var(--red)}.tag.yellow{background:var(--yellow-bg);color:#8a5c00}.tag.green{background:var(--green-bg);color:var(--green)}
.muted{color:var(--muted)}.small{font-size:12px}
.empty{color:var(--muted);padding:8px 0}
svg text{font-family:inherit}
.more{font-size:12px;color:var(--muted);margin-top:6px}
.task-text{white-space:pre-wrap;font-family:inherit;background:var(--bg);border-radius:6px;padding:10px 12px;margin:0}
ol.history{margin:4px 0 0;padding-left:18px}ol.history li{margin:2px 0}
.asg{border-top:1px solid var(--line);padding-top:10px;margin-top:10px}
.asg h3{font-size:14px;margin:0 0 4px}
.gate{max-width:520px;margin:40px auto;background:var(--card);border:1px solid var(--line);border-radius:10px;padding:24px}
.gate h1{font-size:20px;margin:0 0 12px}.gate ol{padding-left:20px}
.gate .btn{display:inline-block;background:var(--accent);color:#fff;border:0;border-radius:6px;padding:8px 18px;font:inherit;cursor:pointer;text-decoration:none}
.gate .err{color:var(--red);font-weight:600}
@media (max-width:800px){
 .span8,.span6,.span4{grid-column:span 12}
 main{padding:8px}.card{padding:10px}
 header.top .who{margin-left:0}
 .kpis{gap:6px}.kpi{flex:1 1 28%;padding:6px 8px}.kpi b{font-size:19px}.kpi span{font-size:11px}
 .status-line{display:none}
 table.matrix th.unit,table.matrix td.unit{padding:4px 4px;font-size:13px;white-space:normal}
 table.matrix td.unit a{display:block;width:5.5em;white-space:normal;word-break:break-all;line-height:1.3}
 table.matrix th.ch{min-width:40px;padding:3px 2px;font-size:11px}
 table.matrix td a{padding:5px 2px;font-size:12px}
 td.tot{font-size:11px;padding:3px 4px!important}
 table.matrix .den,table.matrix td.tot,table.matrix th.tot-h,.legend .ld{display:none}
 table.matrix th.ch{min-width:34px}
 table.list .hide-m{display:none}
 form.filters label{flex:1 1 40%}form.filters select,form.filters input{min-width:0;width:100%}
}
`;

export const BOARD_JS = `
(function(){
  // Filters apply as soon as one changes; the button stays for keyboards and scripts-off browsers.
  // The filters are open on a desktop and folded away on a phone, so the matrix comes first there.
  var box=document.querySelector('details.filter-box');
  if(box&&window.matchMedia&&window.matchMedia('(min-width: 801px)').matches){box.open=true;}
  var f=document.querySelector('form.filters');
  if(f){f.addEventListener('change',function(e){if(e.target&&e.target.name){
    // Empty fields stay out of the address, so links stay short.
    Array.prototype.forEach.call(f.elements,function(el){if(el.name&&!el.value)el.disabled=true;});
    f.submit();}});}
  // The link page: use the link with a POST (link previews never run scripts, so they cannot use it up).
  var go=document.getElementById('go');
  if(go&&go.getAttribute('data-auto')==='1'){go.submit();}
})();
`;

function hash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(36);
}

export const CSS_VERSION = hash(BOARD_CSS);
export const JS_VERSION = hash(BOARD_JS);
