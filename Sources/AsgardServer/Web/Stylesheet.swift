/// The console's only stylesheet, served at `/static/asgard.css`: dense tables in the manner of
/// Asgard, readable on a laptop screen, with no external fonts or assets.
enum Stylesheet {
    static let css = """
    *{box-sizing:border-box}
    body{margin:0;font:13px/1.4 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#1d2733;background:#f4f6f8}
    a{color:#1f5fa8;text-decoration:none}a:hover{text-decoration:underline}
    header{display:flex;flex-wrap:wrap;align-items:center;gap:0 14px;background:#20303f;color:#fff;padding:0 16px;min-height:40px}
    header .brand{font-weight:700;font-size:16px;color:#fff;letter-spacing:.5px}
    header nav a{color:#d6e2ee;padding:11px 7px;display:inline-block}
    header nav a.active,header nav a:hover{background:#34495e;color:#fff;text-decoration:none}
    header form{margin-left:auto;display:flex;gap:4px;align-items:center;color:#d6e2ee}
    header select,header button{font:inherit;padding:1px 4px}
    header form#search{margin-left:auto}header #search input{font:inherit;width:260px;padding:2px 6px;border:1px solid #5d6b78;border-radius:3px}
    header form#search+form{margin-left:0}
    main{padding:12px 16px;max-width:1400px}
    h1{font-size:18px;margin:4px 0 10px}h2{font-size:15px;margin:16px 0 6px}
    .actions{margin:6px 0 10px;display:flex;gap:8px;align-items:center}
    form.inline{display:inline;margin:0}.charts{display:flex;flex-wrap:wrap;gap:12px}figure.chart{margin:0 0 8px;background:#fff;border:1px solid #d5dce3;padding:6px 8px;max-width:100%}figure.chart figcaption{font-size:12px;color:#3d4852}figure.chart svg{display:block;max-width:100%;height:auto}.legend{margin-left:6px}.legend>span{margin-right:8px}.legend-threshold{color:#8c1d17}
    .legend-canary{color:#b35c00}.legend-baseline{color:#1f5fa8}.verdict-pass{color:#2e7d32}.verdict-fail,.verdict-high,.verdict-low{color:#b3261e;font-weight:600}.verdict-marginal,.verdict-inconclusive,.verdict-nodata{color:#a15c00}[hidden]{display:none!important}.status-done{color:#2e7d32}.status-pending{color:#777}
    .button,button{display:inline-block;background:#1f5fa8;color:#fff;border:0;border-radius:3px;padding:4px 10px;font:inherit;cursor:pointer}
    .button:hover,button:hover{background:#174a84;text-decoration:none}
    button.danger{background:#b3261e}button.danger:hover{background:#8c1d17}
    table.list{border-collapse:collapse;width:100%;background:#fff;border:1px solid #d5dce3}
    table.list th{background:#e9eef3;text-align:left;font-weight:600;padding:4px 8px;border-bottom:1px solid #d5dce3;white-space:nowrap}
    table.list td{padding:3px 8px;border-bottom:1px solid #edf1f4;vertical-align:top}
    #audit td:first-child,#tasks td:nth-child(7),#tasks td:nth-child(8){white-space:nowrap}
    table.list tr:hover td{background:#f7fafc}
    table.properties{border-collapse:collapse;background:#fff;border:1px solid #d5dce3;min-width:480px}
    table.properties th{text-align:left;background:#e9eef3;padding:4px 10px;width:160px;font-weight:600;vertical-align:top}
    table.properties td{padding:4px 10px;border-bottom:1px solid #edf1f4}
    form.edit{background:#fff;border:1px solid #d5dce3;padding:12px;max-width:640px}
    form.edit label{display:block;font-weight:600;margin:8px 0 2px}
    form.edit input,form.edit select,form.edit textarea{width:100%;font:inherit;padding:4px 6px;border:1px solid #b8c4cf;border-radius:2px}
    form.edit .hint{color:#5d6b78;font-size:12px}
    .field-error{color:#b3261e;font-size:12px;display:block}
    form.edit input[readonly]{background:#eef1f4;color:#5d6b78;border-color:#d5dce3}
    input.invalid,select.invalid,textarea.invalid{border-color:#b3261e;background:#fff6f5}
    .flash{padding:6px 10px;margin-bottom:10px;border-radius:3px}
    .flash.error{background:#fde8e6;border:1px solid #f3b8b2}
    .flash.info{background:#e6f1fd;border:1px solid #b2d1f3}
    .freshness{float:right;font-size:12px;color:#555;margin:0 0 6px 10px}
    .freshness button{font-size:12px;padding:1px 6px}
    .flash.ok{background:#e3f4e5;border:1px solid #a9d8b0}
    .empty{color:#5d6b78;font-style:italic}
    .badge{display:inline-block;padding:0 6px;border-radius:8px;font-size:12px;font-weight:600}.badge.bad{background:#fde8e6;color:#b3261e}
    form.edit fieldset{border:0;padding:0;margin:0}
    form.filters{display:flex;gap:12px;flex-wrap:wrap;align-items:flex-end;margin-bottom:10px}form.filters label{font-size:13px}
    .badge.ok{background:#e3f4e5;color:#1e6b2a}.badge.warn{background:#fff3d6;color:#7a5200}.badge.off{background:#eceff2;color:#4a5561}
    .status-running,.status-waiting{color:#1f5fa8;font-weight:600}.status-succeeded{color:#2e7d32}
    .status-failed{color:#b3261e;font-weight:600}.status-canceled,.status-rolledBack{color:#6d4c41}
    pre.log{background:#1d2733;color:#e3e9ef;padding:8px 10px;overflow:auto;font:12px/1.5 ui-monospace,Menlo,Consolas,monospace}
    details summary{cursor:pointer;color:#1f5fa8;margin-top:12px}details.confirm summary{color:#b3261e}
    form.edit input[type=checkbox]{width:auto;margin:0 6px 0 0}form.edit label.check{display:flex;align-items:center;font-weight:400}
    #deploy-form .only-canary,#deploy-form .only-custom,#deploy-form .only-rolling{display:none}
    .cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:10px;margin-bottom:8px}
    .card{background:#fff;border:1px solid #d5dce3;border-radius:4px;padding:8px 10px}.card p{margin:4px 0}
    .card-head{display:flex;flex-wrap:wrap;gap:6px;align-items:center}.card-head h2{margin:0;font-size:14px;flex-basis:100%}
    .card ul.chips{list-style:none;margin:4px 0;padding:0;display:flex;flex-wrap:wrap;gap:4px 10px;font-size:12px}
    .failed-note{color:#8c1d17}details.menu summary{margin-top:4px}
    .menu-items{display:flex;flex-wrap:wrap;gap:10px;align-items:center;padding:6px 0}.danger-link{color:#b3261e}
    #deploy-form:has(#deploy-strategy option[value=canary]:checked) .only-canary{display:block}
    #deploy-form:has(#deploy-strategy option[value=custom]:checked) .only-custom{display:block}
    #deploy-form:has(#deploy-strategy option[value=rolling]:checked) .only-rolling{display:block}
    """
}

extension Stylesheet {
    /// Styles of the user menu and the sign-in page.
    static let authCSS = """
    header .user{display:flex;gap:10px;align-items:center;color:#d6e2ee;margin-left:12px}
    header .user a{color:#d6e2ee}header .user form{margin:0}
    header .user button{background:#34495e}
    .token-secret{font:14px ui-monospace,Menlo,Consolas,monospace;background:#fff;border:1px solid #d5dce3;padding:6px 10px;display:inline-block}
    """
}
